package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.savedmodel.SavedModelExport;
import dev.tfkit.savedmodel.SignatureSpec;
import dev.tfkit.server.util.RequestException;
import dev.tfkit.testing.ServedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

/**
 * A session run that TensorFlow fails keeps TensorFlow's status code and message, over gRPC and
 * REST, as TF Serving passes them on: dequeuing from a closed, empty queue is OUT_OF_RANGE (HTTP
 * 400), not INTERNAL (500).
 */
class TensorFlowStatusTest {
  @TempDir Path tmp;

  /** {@code serving_default} dequeues one value ({@code y = x + value}); {@code close} closes the queue. */
  private Path queueModel() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var q = tf.withName("queue").io.fifoQueue(List.of(TFloat32.class),
          FifoQueue.sharedName("closable"), FifoQueue.capacity(4L), FifoQueue.shapes(List.of(Shape.scalar())));
      var x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
      var got = tf.io.queueDequeue(q, List.of(TFloat32.class));
      tf.withName("y").math.add(tf.ensureShape((Operand<TFloat32>) got.components().get(0), Shape.scalar()), x);
      var close = tf.io.queueClose(q);
      tf.withControlDependencies(List.of(close)).withName("closed").identity(x);
      return SavedModelExport.from(g)
          .signature(SignatureSpec.predict().input("x", "x").output("y", "y"))
          .signature("close", SignatureSpec.predict().input("x", "x").output("x", "closed"))
          .exportTo(tmp.resolve("queue/1"));
    }
  }

  private static PredictRequest request(String signature) {
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("queue").setSignatureName(signature))
        .putInputs("x", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.getDefaultInstance()).addFloatVal(1f).build())
        .build();
  }

  @Test
  void aClosedQueueIsOutOfRangeOverGrpcAndRest() throws Exception {
    queueModel();
    try (EmbeddedServer server =
        EmbeddedServer.builder().model("queue", tmp.resolve("queue")).grpcPort(0).restPort(0).start()) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var stub = grpc.predict();
        stub.predict(request("close"));
        assertThatThrownBy(() -> stub.predict(request("")))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
              assertThat(e.getStatus().getDescription())
                  .as("TensorFlow's own message, as TF Serving passes it on")
                  .contains("is closed and has insufficient elements")
                  .doesNotStartWith("running signature failed");
            });
      }
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(server.restUrl() + "/v1/models/queue:predict"))
              .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\": {\"x\": 1.0}}"))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      assertThat(r.body()).startsWith("{\"error\":").contains("is closed and has insufficient elements");
    }
  }

  @Test
  void everyCodeHasTfServingsHttpStatus() {
    // tensorflow_serving/model_servers/http_server.cc, ToHTTPStatusCode.
    assertThat(RequestException.Code.OUT_OF_RANGE.httpStatus()).isEqualTo(400);
    assertThat(RequestException.Code.FAILED_PRECONDITION.httpStatus()).isEqualTo(400);
    assertThat(RequestException.Code.UNAUTHENTICATED.httpStatus()).isEqualTo(401);
    assertThat(RequestException.Code.PERMISSION_DENIED.httpStatus()).isEqualTo(403);
    assertThat(RequestException.Code.RESOURCE_EXHAUSTED.httpStatus()).isEqualTo(429);
    assertThat(RequestException.Code.UNIMPLEMENTED.httpStatus()).isEqualTo(501);
  }
}
