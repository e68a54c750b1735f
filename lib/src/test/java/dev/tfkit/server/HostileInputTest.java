package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tfkit.io.RawBytesCalls;
import dev.tfkit.testing.TestTensors;
import dev.tfkit.zoo.Fixtures;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc;

/**
 * Requests an attacker would send with a client of their own: shapes of every rank from 0 to 300,
 * dimension products that overflow an int64, negative dimensions, packed content far larger than
 * the limit, dtypes that do not exist, JSON nested past TensorFlow's rank limit, and protobuf bytes
 * that are no PredictRequest. Each gets a clean error (or a correct answer), never a dead process,
 * and after each the server answers a correct request. Without the rank check, the first request
 * of rank 255 aborts the JVM inside TensorFlow.
 */
class HostileInputTest {
  private static EmbeddedServer server;
  private static ManagedChannel channel;
  private static PredictionServiceGrpc.PredictionServiceBlockingStub predict;
  private static final ModelSpec MODEL = ModelSpec.newBuilder().setName("half_plus_two").build();

  @BeforeAll
  static void start() throws IOException {
    server = EmbeddedServer.builder()
        .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
        .grpcPort(0).restPort(0).maxTensorBytes(8L << 20).start();
    channel = ManagedChannelBuilder.forTarget(server.grpcTarget()).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    predict = PredictionServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.close();
  }

  private static TensorShapeProto shape(long... dims) {
    return TestTensors.shape(dims);
  }

  private static PredictRequest request(TensorProto x) {
    return PredictRequest.newBuilder().setModelSpec(MODEL).putInputs("x", x).build();
  }

  /** The server still answers a correct request: 8 → 6. */
  private static void assertHealthy() {
    float y = predict.withDeadlineAfter(30, TimeUnit.SECONDS)
        .predict(request(TestTensors.floatVector(8f))).getOutputsOrThrow("y").getFloatVal(0);
    assertThat(y).isEqualTo(6f);
  }

  /** Sends {@code x}; returns the error status, or null when it was answered. */
  private static Status send(TensorProto x) {
    try {
      predict.withDeadlineAfter(30, TimeUnit.SECONDS).predict(request(x));
      return null;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  @Test
  void everyRankFromZeroTo300IsAnsweredOrRefusedByName() {
    List<String> problems = new ArrayList<>();
    for (int rank = 0; rank <= 300; rank++) {
      long[] ones = new long[rank];
      Arrays.fill(ones, 1);
      Status s = send(TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(ones))
          .addFloatVal(2f).build());
      if (rank > 254) {
        if (s == null || s.getCode() != Status.Code.INVALID_ARGUMENT
            || !s.getDescription().contains("at most 254")) {
          problems.add("rank " + rank + ": " + s);
        }
      } else if (s != null && s.getCode() != Status.Code.INVALID_ARGUMENT) {
        problems.add("rank " + rank + ": " + s);
      }
      if (rank % 50 == 0 || rank == 255) assertHealthy();
    }
    assertThat(problems).isEmpty();
    assertHealthy();
  }

  @Test
  void overflowingNegativeAndOversizedShapesAreRefused() {
    long[][] shapes = {
      {1L << 40, 1L << 40}, {Long.MAX_VALUE, 2}, {1L << 62, 1L << 62, 0}, {3037000500L, 3037000500L},
      {-1, 1}, {-5}, {Long.MIN_VALUE, 1}, {1L << 33, 1}, {0, -1},
    };
    for (long[] dims : shapes) {
      Status s = send(TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(dims))
          .addFloatVal(1f).build());
      assertThat(s).as(Arrays.toString(dims)).isNotNull();
      assertThat(s.getCode()).as(Arrays.toString(dims)).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).as(Arrays.toString(dims)).contains("'x'");
      assertHealthy();
    }
  }

  @Test
  void packedContentBeyondTheLimitOrTheShapeIsRefused() {
    // 16 MB of packed floats against an 8 MB limit, and content that disagrees with its shape.
    TensorProto big = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(4 << 20, 1))
        .setTensorContent(ByteString.copyFrom(new byte[16 << 20])).build();
    Status s = send(big);
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).contains("limit");
    TensorProto lying = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(1L << 30, 1))
        .setTensorContent(ByteString.copyFrom(new byte[64])).build();
    assertThat(send(lying).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertHealthy();
  }

  @Test
  void dtypesThatDoNotExistOrCannotBeFedAreRefused() {
    for (int dtype : new int[] {0, 20, 21, 31, 77, 101, 119, 1 << 20, -3}) {
      Status s = send(TensorProto.newBuilder().setDtypeValue(dtype).setTensorShape(shape(1, 1)).addFloatVal(1f).build());
      assertThat(s).as("dtype " + dtype).isNotNull();
      assertThat(s.getCode()).as("dtype " + dtype).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    assertHealthy();
  }

  @Test
  void bytesThatAreNoPredictRequestGetAnErrorNotACrash() {
    MethodDescriptor<byte[], byte[]> raw = RawBytesCalls.unary(PredictionServiceGrpc.getPredictMethod().getFullMethodName());
    byte[] valid = request(TestTensors.floatVector(8f)).toByteArray();
    List<byte[]> bodies = new ArrayList<>();
    bodies.add(Arrays.copyOf(valid, valid.length / 2)); // truncated
    bodies.add(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01}); // a varint that never ends well
    bodies.add(new byte[] {0x12, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07}); // 2 GB field, no bytes
    byte[] nested = new byte[4000]; // groups nested far past protobuf's recursion limit
    for (int i = 0; i < nested.length; i++) nested[i] = 0x0b;
    bodies.add(nested);
    Random rnd = new Random(15);
    for (int i = 0; i < 40; i++) {
      byte[] junk = new byte[1 + rnd.nextInt(512)];
      rnd.nextBytes(junk);
      bodies.add(junk);
    }
    for (byte[] body : bodies) {
      try {
        ClientCalls.blockingUnaryCall(channel, raw, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), body);
      } catch (StatusRuntimeException e) {
        // Any clean status will do; what matters is that the process is still there.
        assertThat(e.getStatus().getCode()).isNotIn(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED);
      }
    }
    assertHealthy();
  }

  @Test
  void jsonNestedPastTheRankLimitIsA400() throws Exception {
    for (int depth : new int[] {254, 255, 300}) {
      String instance = "[".repeat(depth) + "1.0" + "]".repeat(depth);
      Protos.Http r = Protos.post(server.restUrl() + "/v1/models/half_plus_two:predict",
          "{\"instances\": [" + instance + "]}");
      // 254 nested lists in one instance make a rank-255 tensor once the batch dimension is added.
      assertThat(r.code()).as("depth " + depth).isEqualTo(400);
      assertThat(r.body()).as("depth " + depth).contains("\"error\"").contains("254");
      Protos.Http inputs = Protos.post(server.restUrl() + "/v1/models/half_plus_two:predict",
          "{\"inputs\": {\"x\": " + instance + "}}");
      if (depth > 254) {
        assertThat(inputs.code()).as("inputs depth " + depth).isEqualTo(400);
        assertThat(inputs.body()).contains("254");
      }
    }
    assertHealthy();
  }

  @Test
  void bodiesInNoJsonEncodingAreA400() throws Exception {
    // Bytes Jackson reads as UTF-32 and then cannot decode (found by RestBodyFuzzTest).
    byte[][] bodies = {{(byte) 0xff, 0, 0, 0, 0}, {0, 0, 0, '{'}, {(byte) 0xfe, (byte) 0xff, 0, '{', 0}};
    HttpClient http = HttpClient.newHttpClient();
    for (byte[] body : bodies) {
      var r = http.send(HttpRequest.newBuilder(
              URI.create(server.restUrl() + "/v1/models/half_plus_two:predict"))
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(Arrays.toString(body)).isEqualTo(400);
      assertThat(r.body()).contains("\"error\"");
    }
    assertHealthy();
  }

}
