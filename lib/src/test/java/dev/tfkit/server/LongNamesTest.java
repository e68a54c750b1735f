package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tfkit.testing.ServedChannel;
import dev.tfkit.testing.TestTensors;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

/**
 * Names far longer than any model's: the answer is the error the name deserves, with a message
 * short enough for gRPC's trailer (a 9,000-character name echoed whole used to exceed the client's
 * header limit and arrive as INTERNAL).
 */
class LongNamesTest {
  static EmbeddedServer server;
  static ServedChannel grpc;

  @BeforeAll
  static void start() throws Exception {
    server =
        EmbeddedServer.builder()
            .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
            .grpcPort(0)
            .restPort(0)
            .start();
    grpc = ServedChannel.to(server);
  }

  @AfterAll
  static void stop() {
    if (grpc != null) grpc.close();
    if (server != null) server.close();
  }

  private static Status status(Runnable call) {
    return catchThrowableOfType(call::run, StatusRuntimeException.class).getStatus();
  }

  private static ModelSpec named(String name) {
    return ModelSpec.newBuilder().setName(name).build();
  }

  @Test
  void aNineThousandCharacterModelNameIsInvalidOnEveryMethod() {
    ModelSpec spec = named("m".repeat(9000));
    var predict = grpc.predict();
    var models = grpc.models();
    Status[] answers = {
      status(() -> predict.predict(PredictRequest.newBuilder().setModelSpec(spec).putInputs("x", TestTensors.floatVector(1f)).build())),
      status(() -> models.getModelStatus(GetModelStatusRequest.newBuilder().setModelSpec(spec).build())),
      status(() -> predict.getModelMetadata(
          GetModelMetadataRequest.newBuilder().setModelSpec(spec).addMetadataField("signature_def").build())),
    };
    for (Status s : answers) {
      assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).isEqualTo("model name is 9000 characters long; the limit is 1024");
    }
  }

  @Test
  void anUnknownLongNameIsNotFoundWithTheNameShortened() {
    String name = "n".repeat(300);
    Status s = status(() -> grpc.predict()
        .predict(PredictRequest.newBuilder().setModelSpec(named(name)).putInputs("x", TestTensors.floatVector(1f)).build()));
    assertThat(s.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(s.getDescription())
        .isEqualTo("Servable not found for request: Latest(" + "n".repeat(200) + "... (300 characters))");
    Status st = status(() -> grpc.models()
        .getModelStatus(GetModelStatusRequest.newBuilder().setModelSpec(named(name)).build()));
    assertThat(st.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(st.getDescription()).hasSizeLessThan(300).endsWith("... (300 characters)");
  }

  @Test
  void longSignatureAndInputNamesAreEchoedShortened() {
    var predict = grpc.predict();
    Status sig = status(() -> predict.predict(PredictRequest.newBuilder()
        .setModelSpec(named("half_plus_two").toBuilder().setSignatureName("s".repeat(9000)))
        .putInputs("x", TestTensors.floatVector(1f)).build()));
    assertThat(sig.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(sig.getDescription()).hasSizeLessThan(300).contains("(9000 characters)");
    Status input = status(() -> predict.predict(PredictRequest.newBuilder()
        .setModelSpec(named("half_plus_two")).putInputs("i".repeat(9000), TestTensors.floatVector(1f)).build()));
    assertThat(input.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(input.getDescription()).hasSizeLessThan(1500).contains("(9000 characters)");
  }

  @Test
  void overRestTheLongNameIsABadRequestToo() throws Exception {
    Protos.Http r = Protos.get(server.restUrl() + "/v1/models/" + "m".repeat(9000));
    assertThat(r.code()).isEqualTo(400);
    assertThat(r.body()).contains("the limit is 1024").hasSizeLessThan(200);
  }
}
