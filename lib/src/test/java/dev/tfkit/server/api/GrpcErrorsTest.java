package dev.tfkit.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.server.util.RequestException;
import org.junit.jupiter.api.Test;

class GrpcErrorsTest {
  @Test
  void everyServerCodeBecomesTheGrpcCodeOfTheSameNameWithItsMessage() {
    for (RequestException.Code c : RequestException.Code.values()) {
      var s = GrpcErrors.toStatus(new RequestException(c, "what " + c)).getStatus();
      assertThat(s.getCode().name()).as("gRPC code for %s", c).isEqualTo(c.name());
      assertThat(s.getDescription()).isEqualTo("what " + c);
    }
  }
}
