package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.server.lifecycle.ServableState;
import dev.tfkit.server.lifecycle.ServableStatus;
import dev.tfkit.testing.TestDirs;
import dev.tfkit.zoo.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TF Serving's {@code saved_model_half_plus_two_gpu} pins its nodes to {@code /device:GPU:0}: on a
 * machine without a GPU it fails to load, as in TF Serving, with an error that names
 * {@code --allow_soft_placement}; with it, TensorFlow places the nodes on the CPU and it serves.
 */
class SoftPlacementTest {
  @TempDir Path tmp;

  @Test
  void aGpuPinnedModelFailsWithTheHintAndServesWithSoftPlacement() throws Exception {
    Path base = tmp.resolve("gpu");
    TestDirs.copyTree(Fixtures.tfServing("saved_model_half_plus_two_gpu").resolve("00000123"), base.resolve("1"));
    try (EmbeddedServer strict = EmbeddedServer.builder().grpcPort(0).noRest().model("gpu", base).start()) {
      ServableStatus s = strict.models().status("gpu").get(0);
      if (s.state() == ServableState.AVAILABLE) {
        return; // a machine with a GPU places the nodes where they are pinned: nothing to show here
      }
      assertThat(s.state()).isEqualTo(ServableState.END);
      assertThat(s.error().orElseThrow()).contains("--allow_soft_placement");
    }
    try (EmbeddedServer soft = EmbeddedServer.builder().grpcPort(0).noRest().allowSoftPlacement(true)
        .model("gpu", base).start()) {
      assertThat(soft.models().status("gpu").get(0).state()).isEqualTo(ServableState.AVAILABLE);
      assertThat(HostileModelTest.predict(soft, "gpu")).isEqualTo(6f);
    }
  }
}
