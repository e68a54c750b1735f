package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.testing.TestTensors;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

/**
 * Sends well over a thousand malformed requests over gRPC and REST; each must come back as a clean
 * client error (a 4xx/INVALID_ARGUMENT-like code with a message), and the server must be healthy
 * afterwards.
 */
class ServerFuzzTest {
  private static final Set<Status.Code> CLEAN_GRPC =
      EnumSet.of(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND, Status.Code.FAILED_PRECONDITION);

  private final Random rnd = new Random(20261125);
  private final ObjectMapper json = new ObjectMapper();

  private TensorShapeProto shape(long... dims) {
    return TestTensors.shape(dims);
  }

  /** A request that is wrong in one way, chosen at random. */
  private PredictRequest malformed(int i) {
    ModelSpec good = ModelSpec.newBuilder().setName("half_plus_two").build();
    TensorProto x = TestTensors.floats(new long[] {2, 1}, 1f, 2f);
    return switch (i % 12) {
      case 0 -> { // wrong dtype
        DataType[] types = {DataType.DT_INT32, DataType.DT_INT64, DataType.DT_DOUBLE, DataType.DT_STRING,
            DataType.DT_BOOL, DataType.DT_HALF, DataType.DT_UINT8, DataType.DT_COMPLEX64, DataType.DT_RESOURCE,
            DataType.DT_VARIANT, DataType.DT_INVALID, DataType.DT_FLOAT_REF};
        yield PredictRequest.newBuilder().setModelSpec(good)
            .putInputs("x", x.toBuilder().setDtype(types[rnd.nextInt(types.length)]).build()).build();
      }
      case 1 -> { // shape against the signature
        long a = 2 + rnd.nextInt(5);
        long b = 2 + rnd.nextInt(5);
        TensorProto.Builder t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(a, b));
        for (int k = 0; k < a * b; k++) {
          t.addFloatVal(k);
        }
        yield PredictRequest.newBuilder().setModelSpec(good).putInputs("x", t.build()).build();
      }
      case 2 -> { // truncated or padded tensor_content
        int n = 1 + rnd.nextInt(64);
        int bytes = 4 * n + (rnd.nextBoolean() ? -(1 + rnd.nextInt(3)) : 1 + rnd.nextInt(3));
        yield PredictRequest.newBuilder().setModelSpec(good)
            .putInputs("x", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(n, 1))
                .setTensorContent(ByteString.copyFrom(new byte[Math.max(0, bytes)])).build())
            .build();
      }
      case 3 -> { // huge dimensions
        long[][] dims = {{1L << 40, 1}, {Long.MAX_VALUE, 1}, {1L << 31, 1L << 31}, {-1, 1}, {-(1L << 50), 1},
            {1 << 28, 1}};
        yield PredictRequest.newBuilder().setModelSpec(good)
            .putInputs("x", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
                .setTensorShape(shape(dims[rnd.nextInt(dims.length)])).addFloatVal(1f).build())
            .build();
      }
      case 4 -> { // value count off
        int n = 1 + rnd.nextInt(10);
        TensorProto.Builder t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(n, 1));
        for (int k = 0; k < n + 1 + rnd.nextInt(3); k++) {
          t.addFloatVal(k);
        }
        yield PredictRequest.newBuilder().setModelSpec(good).putInputs("x", t.build()).build();
      }
      case 5 -> PredictRequest.newBuilder() // unknown signature
          .setModelSpec(good.toBuilder().setSignatureName("sig" + rnd.nextInt(1000))).putInputs("x", x).build();
      case 6 -> { // unknown or path-like model names
        String[] names = {"../../etc/passwd", "half_plus_two/../bad", "/abs", "a\u0000b", "..", "%2e%2e",
            "x".repeat(5000), "C:\\models", "half_plus_two ", "\u00e9t\u00e9", "model" + rnd.nextInt()};
        yield PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(names[rnd.nextInt(names.length)]))
            .putInputs("x", x).build();
      }
      case 7 -> PredictRequest.newBuilder() // missing version
          .setModelSpec(good.toBuilder().setVersion(Int64Value.of(rnd.nextBoolean() ? -rnd.nextInt(100) : 1000 + rnd.nextInt(1000))))
          .putInputs("x", x).build();
      case 8 -> PredictRequest.newBuilder() // wrong or extra input names
          .setModelSpec(good).putInputs(rnd.nextBoolean() ? "y" : "x\u0000", x)
          .putInputs(rnd.nextBoolean() ? "x" : "z", x).build();
      case 9 -> PredictRequest.newBuilder() // unknown output filter
          .setModelSpec(good).putInputs("x", x).addOutputFilter("out" + rnd.nextInt(100)).build();
      case 10 -> PredictRequest.newBuilder() // unknown label, or no name at all
          .setModelSpec(rnd.nextBoolean() ? good.toBuilder().setVersionLabel("l" + rnd.nextInt(9)).build() : ModelSpec.getDefaultInstance())
          .putInputs("x", x).build();
      default -> { // values in the wrong typed field, or both content and values
        TensorProto.Builder t = x.toBuilder().clearFloatVal().addIntVal(1).addIntVal(2);
        if (rnd.nextBoolean()) {
          t = x.toBuilder().setTensorContent(ByteString.copyFrom(new byte[8]));
        }
        yield PredictRequest.newBuilder().setModelSpec(good).putInputs("x", t.build()).build();
      }
    };
  }

  /** A malformed REST call: method, path, body. */
  private String[] malformedRest(int i) {
    String valid = "{\"instances\": [[1.0], [2.0]]}";
    return switch (i % 10) {
      case 0 -> new String[] {"POST", "/v1/models/half_plus_two:predict", valid.substring(0, rnd.nextInt(valid.length() - 1))};
      case 1 -> {
        byte[] junk = new byte[1 + rnd.nextInt(64)];
        rnd.nextBytes(junk);
        yield new String[] {"POST", "/v1/models/half_plus_two:predict", new String(junk, StandardCharsets.ISO_8859_1)};
      }
      case 2 -> new String[] {"POST", "/v1/models/half_plus_two:predict",
          List.of("{\"instances\": [[1.0], [2.0, 3.0]]}", "{\"instances\": \"x\"}", "{\"inputs\": {\"y\": [1.0]}}",
              "{\"instances\": [true]}", "{\"instances\": [{\"b64\": \"!!\"}]}", "[1,2]", "{}", "null",
              "{\"instances\": [1.0], \"inputs\": [1.0]}", "{\"signature_name\": 5, \"instances\": [1.0]}")
              .get(rnd.nextInt(10))};
      case 3 -> new String[] {"POST", "/v1/models/half_plus_two:predict", "[".repeat(2000 + rnd.nextInt(3000)) + "]".repeat(10)};
      case 4 -> new String[] {"POST", "/v1/models/half_plus_two:predict",
          "{\"signature_name\": \"nosuch" + rnd.nextInt(99) + "\", \"instances\": [1.0]}"};
      case 5 -> new String[] {"POST", List.of("/v1/models/..%2F..%2Fetc%2Fpasswd:predict", "/v1/models/%2e%2e:predict",
          "/v1/models/nosuch:predict", "/v1/models/half_plus_two/versions/99:predict",
          "/v1/models/half_plus_two/labels/nolabel:predict", "/v1/models/%C3%28:predict").get(rnd.nextInt(6)), valid};
      case 6 -> new String[] {"POST", "/v1/models/half_plus_two:regress",
          List.of("{\"examples\": 3}", "{\"examples\": [3]}", "{\"examples\": [{\"x\": []}]}", "{\"examples\": []}",
              "{\"signature_name\": \"regress_x_to_y\", \"examples\": [{\"x\": {\"b64\": \"%%\"}}]}").get(rnd.nextInt(5))};
      case 7 -> new String[] {"GET", List.of("/v1/models/nosuch", "/v1/models/half_plus_two/versions/42",
          "/v1/models/half_plus_two/versions/99999999999999999999", "/v1/models/nosuch/metadata",
          "/v1/models/half_plus_two/labels/x/metadata").get(rnd.nextInt(5)), ""};
      case 8 -> new String[] {"POST", "/v1/models/half_plus_two:classify",
          "{\"signature_name\": \"serving_default\", \"examples\": [{\"x\": 1.0}]}"};
      default -> new String[] {"POST", "/v1/models/half_plus_two:predict",
          "{\"instances\": [" + "\"s\",".repeat(1 + rnd.nextInt(3)) + "1.0]}"};
    };
  }

  @Test
  void malformedRequestsGetCleanErrorsAndTheServerStaysHealthy() throws Exception {
    try (EmbeddedServer server =
            EmbeddedServer.builder()
                .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
                .grpcPort(0)
                .restPort(0)
                .maxTensorBytes(64L << 20)
                .start()) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var predict = grpc.predict();
        List<String> unclean = new ArrayList<>();
        int sent = 0;
        for (int i = 0; i < 720; i++) {
          PredictRequest req = malformed(i);
          try {
            predict.predict(req);
            unclean.add("gRPC case " + (i % 12) + " succeeded: " + req.toString().lines().limit(8).toList());
          } catch (StatusRuntimeException e) {
            String d = e.getStatus().getDescription();
            if (!CLEAN_GRPC.contains(e.getStatus().getCode()) || d == null || d.isBlank()) {
              unclean.add("gRPC case " + (i % 12) + ": " + e.getStatus());
            }
          }
          sent++;
        }
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 500; i++) {
          String[] r = malformedRest(i);
          var b = HttpRequest.newBuilder(URI.create(server.restUrl() + r[1]));
          b = r[0].equals("GET") ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(r[2], StandardCharsets.ISO_8859_1));
          var resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
          sent++;
          String problem = null;
          if (resp.statusCode() < 400 || resp.statusCode() >= 500) {
            problem = "HTTP " + resp.statusCode();
          } else {
            try {
              JsonNode err = json.readTree(resp.body()).get("error");
              if (err == null || err.asText().isBlank()) {
                problem = "no error message";
              }
            } catch (Exception e) {
              problem = "body is not JSON";
            }
          }
          if (problem != null) {
            unclean.add("REST case " + (i % 10) + " " + r[0] + " " + r[1] + ": " + problem + " " + resp.body());
          }
        }
        assertThat(sent).isGreaterThanOrEqualTo(1000);
        assertThat(unclean).isEmpty();

        // Healthy afterwards: status AVAILABLE and a correct prediction on both transports.
        var st = grpc.models()
            .getModelStatus(GetModelStatusRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("half_plus_two")).build());
        assertThat(st.getModelVersionStatus(0).getState()).isEqualTo(ModelVersionStatus.State.AVAILABLE);
        var ok = predict.predict(PredictRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName("half_plus_two")).putInputs("x", TestTensors.floatVector(8f)).build());
        assertThat(ok.getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(6f);
        Protos.Http rest = Protos.post(server.restUrl() + "/v1/models/half_plus_two:predict", "{\"instances\": [8.0]}");
        assertThat(rest.code()).isEqualTo(200);
        assertThat(rest.body()).contains("6.0");
      }
    }
  }
}
