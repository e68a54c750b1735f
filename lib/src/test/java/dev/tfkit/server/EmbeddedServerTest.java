package dev.tfkit.server;

import static dev.tfkit.server.Protos.*;
import static dev.tfkit.testing.TestTensors.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Int64Value;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.BindException;
import java.time.Duration;
import java.util.function.BiFunction;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.error.Code;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Inference.InferenceTask;
import tensorflow.serving.Inference.MultiInferenceRequest;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.MonitoringConfigOuterClass;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

/**
 * The embedded server with the real TF Serving test models, called through the generated gRPC
 * stubs and plain HTTP, as a stock client would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmbeddedServerTest {
  private EmbeddedServer server;
  private ServedChannel grpc;
  private PredictionServiceGrpc.PredictionServiceBlockingStub predict;
  private ModelServiceGrpc.ModelServiceBlockingStub models;
  private final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  void start() throws Exception {
    server =
        EmbeddedServer.builder()
            .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
            .model("half_plus_two_tf2", Fixtures.tfServing("saved_model_half_plus_two_tf2_cpu"))
            .model("counter", Fixtures.tfServing("saved_model_counter"))
            .model("bad", Fixtures.tfServing("bad_half_plus_two"))
            .grpcPort(0)
            .restPort(0)
            // As in TF Serving, the Prometheus page is there only when a monitoring config says so.
            .monitoring(
                MonitoringConfigOuterClass.MonitoringConfig.newBuilder()
                    .setPrometheusConfig(
                        MonitoringConfigOuterClass.PrometheusConfig.newBuilder().setEnable(true))
                    .build())
            .start();
    grpc = ServedChannel.to(server);
    predict = grpc.predict();
    models = grpc.models();
  }

  @AfterAll
  void stop() {
    if (grpc != null) {
      grpc.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static ModelSpec spec(String name) {
    return ModelSpec.newBuilder().setName(name).build();
  }

  private static ModelSpec spec(String name, String signature) {
    return ModelSpec.newBuilder().setName(name).setSignatureName(signature).build();
  }

  private static StatusRuntimeException grpcError(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected the call to fail");
  }

  @Test
  void tf2ModelTakesItsSignaturesSingleValueAndRefusesMoreBeforeNativeCode() {
    PredictResponse r =
        predict.predict(
            PredictRequest.newBuilder()
                .setModelSpec(spec("half_plus_two_tf2"))
                .putInputs("x", floatVector(4f))
                .build());
    assertThat(r.getOutputsOrThrow("y").getFloatValList()).containsExactly(4.0f);
    StatusRuntimeException e =
        grpcError(
            () ->
                predict.predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("half_plus_two_tf2"))
                        .putInputs("x", floatVector(1f, 2f))
                        .build()));
    assertThat(e.getStatus().getDescription())
        .isEqualTo("input 'x': shape [2] is not compatible with the signature's shape [1]");
  }

  @Test
  void predictsHalfPlusTwoWithTypedOutputsAndTheVersionUsed() {
    String model = "half_plus_two";
    PredictResponse r =
        predict.predict(
            PredictRequest.newBuilder()
                .setModelSpec(spec(model))
                .putInputs("x", floats(new long[] {3, 1}, 1f, 2f, 5f))
                .build());
    TensorProto y = r.getOutputsOrThrow("y");
    assertThat(y.getDtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(y.getFloatValList()).containsExactly(2.5f, 3.0f, 4.5f);
    assertThat(y.getTensorContent().isEmpty()).as("typed fields, as TF Serving answers").isTrue();
    assertThat(r.getModelSpec().getName()).isEqualTo(model);
    assertThat(r.getModelSpec().getVersion().getValue()).isEqualTo(123);
    assertThat(r.getModelSpec().getSignatureName()).isEqualTo("serving_default");
  }

  @Test
  void acceptsPackedTensorContentAndTheRestExamplesFlatShape() {
    PredictResponse r =
        predict.predict(
            PredictRequest.newBuilder()
                .setModelSpec(spec("half_plus_two"))
                .putInputs("x", packedFloats(new long[] {3}, 1f, 2f, 5f))
                .build());
    assertThat(r.getOutputsOrThrow("y").getFloatValList()).containsExactly(2.5f, 3.0f, 4.5f);
  }

  @Test
  void outputFilterAndSignatureChooseWhatRuns() {
    PredictResponse r =
        predict.predict(
            PredictRequest.newBuilder()
                .setModelSpec(spec("half_plus_two", "regress_x2_to_y3"))
                .putInputs("inputs", floats(new long[] {1, 1}, 4f))
                .addOutputFilter("outputs")
                .build());
    // y3 = 0.5 * x2 + 3 in this model.
    assertThat(r.getOutputsOrThrow("outputs").getFloatVal(0)).isEqualTo(5.0f);
    assertThat(r.getModelSpec().getSignatureName()).isEqualTo("regress_x2_to_y3");
    StatusRuntimeException e =
        grpcError(
            () ->
                predict.predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("half_plus_two"))
                        .putInputs("x", floats(new long[] {1, 1}, 4f))
                        .addOutputFilter("nope")
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("output tensor alias not found in signature: nope");
  }

  @ParameterizedTest
  @ValueSource(strings = {"half_plus_two", "half_plus_two_tf2"})
  void classifiesAndRegressesTfExamples(String model) {
    var c =
        predict.classify(
            ClassificationRequest.newBuilder()
                .setModelSpec(spec(model, "classify_x_to_y"))
                .setInput(examples(example("x", 1f), example("x", 4f)))
                .build());
    assertThat(c.getResult().getClassificationsCount()).isEqualTo(2);
    assertThat(c.getResult().getClassifications(0).getClasses(0).getScore()).isEqualTo(2.5f);
    assertThat(c.getResult().getClassifications(1).getClasses(0).getScore()).isEqualTo(4.0f);
    assertThat(c.getModelSpec().getVersion().getValue()).isEqualTo(123);

    var r =
        predict.regress(
            RegressionRequest.newBuilder()
                .setModelSpec(spec(model, "regress_x_to_y"))
                .setInput(examples(example("x", 6f)))
                .build());
    assertThat(r.getResult().getRegressions(0).getValue()).isEqualTo(5.0f);
    assertThat(r.getModelSpec().getSignatureName()).isEqualTo("regress_x_to_y");
  }

  @Test
  void multiInferenceRunsEveryTaskOnOneVersion() {
    var resp =
        predict.multiInference(
            MultiInferenceRequest.newBuilder()
                .addTasks(
                    InferenceTask.newBuilder()
                        .setModelSpec(spec("half_plus_two", "classify_x_to_y"))
                        .setMethodName("tensorflow/serving/classify"))
                .addTasks(
                    InferenceTask.newBuilder()
                        .setModelSpec(spec("half_plus_two", "regress_x_to_y"))
                        .setMethodName("tensorflow/serving/regress"))
                .setInput(examples(example("x", 2f)))
                .build());
    assertThat(resp.getResultsCount()).isEqualTo(2);
    assertThat(resp.getResults(0).getClassificationResult().getClassifications(0).getClasses(0).getScore())
        .isEqualTo(3.0f);
    assertThat(resp.getResults(1).getRegressionResult().getRegressions(0).getValue()).isEqualTo(3.0f);
    assertThat(resp.getResults(1).getModelSpec().getVersion().getValue()).isEqualTo(123);
    StatusRuntimeException dup =
        grpcError(
            () ->
                predict.multiInference(
                    MultiInferenceRequest.newBuilder()
                        .addTasks(InferenceTask.newBuilder().setModelSpec(spec("half_plus_two", "regress_x_to_y")).setMethodName("tensorflow/serving/regress"))
                        .addTasks(InferenceTask.newBuilder().setModelSpec(spec("half_plus_two", "regress_x_to_y")).setMethodName("tensorflow/serving/regress"))
                        .setInput(examples(example("x", 2f)))
                        .build()));
    assertThat(dup.getStatus().getDescription()).isEqualTo("Duplicate evaluation of signature: regress_x_to_y");
  }

  @Test
  void metadataListsSignaturesAndStatusShowsTheVersion() throws Exception {
    var md =
        predict.getModelMetadata(
            GetModelMetadataRequest.newBuilder()
                .setModelSpec(spec("half_plus_two"))
                .addMetadataField("signature_def")
                .build());
    SignatureDefMap sigs = md.getMetadataOrThrow("signature_def").unpack(SignatureDefMap.class);
    assertThat(sigs.getSignatureDefMap())
        .containsKeys("serving_default", "classify_x_to_y", "regress_x_to_y", "regress_x2_to_y3");
    assertThat(sigs.getSignatureDefOrThrow("serving_default").getInputsOrThrow("x").getName()).isEqualTo("x:0");
    assertThat(md.getModelSpec().getVersion().getValue()).isEqualTo(123);

    var st = models.getModelStatus(GetModelStatusRequest.newBuilder().setModelSpec(spec("half_plus_two")).build());
    assertThat(st.getModelVersionStatusList())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getVersion()).isEqualTo(123);
              assertThat(s.getState()).isEqualTo(ModelVersionStatus.State.AVAILABLE);
              assertThat(s.getStatus().getErrorCode()).isEqualTo(Code.OK);
            });
    StatusRuntimeException e =
        grpcError(
            () ->
                models.getModelStatus(
                    GetModelStatusRequest.newBuilder()
                        .setModelSpec(spec("half_plus_two").toBuilder().setVersion(Int64Value.of(7)))
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(e.getStatus().getDescription()).isEqualTo("Could not find version 7 of model half_plus_two");
  }

  @Test
  void errorsHaveTfServingsCodesAndMessages() {
    StatusRuntimeException unknown =
        grpcError(
            () ->
                predict.predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("nope"))
                        .putInputs("x", floatVector(1f))
                        .build()));
    assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(unknown.getStatus().getDescription()).isEqualTo("Servable not found for request: Latest(nope)");

    StatusRuntimeException version =
        grpcError(
            () ->
                predict.predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("half_plus_two").toBuilder().setVersion(Int64Value.of(9)))
                        .putInputs("x", floatVector(1f))
                        .build()));
    assertThat(version.getStatus().getDescription())
        .isEqualTo("Servable not found for request: Specific(half_plus_two, 9)");

    StatusRuntimeException sig =
        grpcError(
            () ->
                predict.predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("half_plus_two", "nope"))
                        .putInputs("x", floatVector(1f))
                        .build()));
    assertThat(sig.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(sig.getStatus().getDescription()).isEqualTo("Serving signature key \"nope\" not found.");

    StatusRuntimeException dtype =
        grpcError(
            () ->
                predict.predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("half_plus_two"))
                        .putInputs(
                            "x",
                            TensorProto.newBuilder()
                                .setDtype(DataType.DT_INT32)
                                .setTensorShape(shape(1))
                                .addIntVal(1)
                                .build())
                        .build()));
    assertThat(dtype.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(dtype.getStatus().getDescription()).isEqualTo("input 'x': expected dtype DT_FLOAT but got DT_INT32");

    StatusRuntimeException truncated =
        grpcError(
            () ->
                predict.predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("half_plus_two"))
                        .putInputs(
                            "x",
                            packedFloats(new long[] {3}, 1f, 2f, 3f).toBuilder()
                                .setTensorContent(packedFloats(new long[] {3}, 1f, 2f, 3f).getTensorContent().substring(0, 10))
                                .build())
                        .build()));
    assertThat(truncated.getStatus().getDescription()).contains("input 'x'").contains("tensor_content has 10 bytes");

    StatusRuntimeException missing =
        grpcError(
            () ->
                predict.predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("half_plus_two"))
                        .putInputs("z", floatVector(1f))
                        .build()));
    assertThat(missing.getStatus().getDescription())
        .isEqualTo(
            "input size does not match signature: 1!=1 len({z}) != len({x}). Sent extra: {z}. Missing but required: {x}.");
  }

  @Test
  void badModelLoadsWithoutSignaturesAndFailsCleanlyBesideTheOthers() {
    StatusRuntimeException e =
        grpcError(
            () ->
                predict.predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("bad"))
                        .putInputs("x", floatVector(1f))
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).isEqualTo("Serving signature key \"serving_default\" not found.");
    // The other models are untouched.
    assertThat(
            predict
                .predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("half_plus_two"))
                        .putInputs("x", floatVector(2f))
                        .build())
                .getOutputsOrThrow("y")
                .getFloatVal(0))
        .isEqualTo(3.0f);
  }

  @Test
  void counterKeepsStateAndAnswersRefDtypesAsFloat() {
    BiFunction<String, TensorProto, TensorProto> call =
        (sig, delta) -> {
          PredictRequest.Builder b = PredictRequest.newBuilder().setModelSpec(spec("counter", sig));
          if (delta != null) {
            b.putInputs("delta", delta);
          }
          return predict.predict(b.build()).getOutputsOrThrow("output");
        };
    assertThat(call.apply("reset_counter", null).getFloatVal(0)).isEqualTo(0f);
    assertThat(call.apply("incr_counter", null).getFloatVal(0)).isEqualTo(1f);
    TensorProto by = call.apply("incr_counter_by", floats(new long[] {}, 5f));
    assertThat(by.getDtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(by.getFloatVal(0)).isEqualTo(6f);
    assertThat(call.apply("get_counter", null).getFloatVal(0)).isEqualTo(6f);
    assertThat(call.apply("reset_counter", null).getFloatVal(0)).isEqualTo(0f);

    var md =
        predict.getModelMetadata(
            GetModelMetadataRequest.newBuilder().setModelSpec(spec("counter")).addMetadataField("signature_def").build());
    SignatureDefMap sigs;
    try {
      sigs = md.getMetadataOrThrow("signature_def").unpack(SignatureDefMap.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
    assertThat(sigs.getSignatureDefOrThrow("get_counter").getOutputsOrThrow("output").getDtype())
        .isEqualTo(DataType.DT_FLOAT);
  }

  // ---------------------------------------------------------------- REST

  private String rest(String path) {
    return server.restUrl() + path;
  }

  @Test
  void restPredictRowAndColumnar() throws Exception {
    String model = "half_plus_two";
    Protos.Http row = post(rest("/v1/models/" + model + ":predict"), "{\"instances\": [1.0, 2.0, 5.0]}");
    assertThat(row.code()).isEqualTo(200);
    JsonNode preds = json.readTree(row.body()).get("predictions");
    assertThat(preds.size()).isEqualTo(3);
    assertThat(preds.get(2).isArray() ? preds.get(2).get(0).asDouble() : preds.get(2).asDouble())
        .isCloseTo(4.5, within(1e-6));

    Protos.Http col =
        post(rest("/v1/models/" + model + "/versions/123:predict"), "{\"inputs\": {\"x\": [[1.0], [3.0]]}}");
    assertThat(col.code()).isEqualTo(200);
    assertThat(json.readTree(col.body()).get("outputs").get(1).get(0).asDouble()).isCloseTo(3.5, within(1e-6));
  }

  @Test
  void restPredictOnTheTf2Model() throws Exception {
    Protos.Http r = post(rest("/v1/models/half_plus_two_tf2:predict"), "{\"instances\": [3.0]}");
    assertThat(r.code()).as(r.body()).isEqualTo(200);
    assertThat(json.readTree(r.body()).get("predictions").get(0).asDouble()).isCloseTo(3.5, within(1e-6));
  }

  @ParameterizedTest
  @ValueSource(strings = {"half_plus_two", "half_plus_two_tf2"})
  void restClassifyAndRegress(String model) throws Exception {
    Protos.Http c =
        post(
            rest("/v1/models/" + model + ":classify"),
            "{\"signature_name\": \"classify_x_to_y\", \"examples\": [{\"x\": 1.0}, {\"x\": 3.0}]}");
    assertThat(c.code()).as(c.body()).isEqualTo(200);
    JsonNode results = json.readTree(c.body()).get("results");
    assertThat(results.get(1).get(0).get(1).asDouble()).isCloseTo(3.5, within(1e-6));

    Protos.Http r =
        post(
            rest("/v1/models/" + model + ":regress"),
            "{\"signature_name\": \"regress_x_to_y\", \"examples\": [{\"x\": 10.0}]}");
    assertThat(r.code()).as(r.body()).isEqualTo(200);
    assertThat(json.readTree(r.body()).get("results").get(0).asDouble()).isCloseTo(7.0, within(1e-6));
  }

  @Test
  void restStatusAndMetadataHaveTfServingsJsonShapes() throws Exception {
    Protos.Http st = get(rest("/v1/models/half_plus_two"));
    assertThat(st.code()).isEqualTo(200);
    JsonNode s = json.readTree(st.body()).get("model_version_status").get(0);
    assertThat(s.get("version").asText()).isEqualTo("123");
    assertThat(s.get("state").asText()).isEqualTo("AVAILABLE");
    assertThat(s.get("status").get("error_code").asText()).isEqualTo("OK");
    assertThat(s.get("status").get("error_message").asText()).isEmpty();

    Protos.Http md = get(rest("/v1/models/half_plus_two/versions/123/metadata"));
    assertThat(md.code()).isEqualTo(200);
    JsonNode m = json.readTree(md.body());
    assertThat(m.get("model_spec").get("name").asText()).isEqualTo("half_plus_two");
    assertThat(m.get("model_spec").get("version").asText()).isEqualTo("123");
    JsonNode serving = m.get("metadata").get("signature_def").get("signature_def").get("serving_default");
    assertThat(serving.get("method_name").asText()).isEqualTo("tensorflow/serving/predict");
    assertThat(serving.get("inputs").get("x").get("dtype").asText()).isEqualTo("DT_FLOAT");
    assertThat(serving.get("inputs").get("x").get("tensor_shape").get("dim").get(1).get("size").asText())
        .isEqualTo("1");
    for (String other : new String[] {"half_plus_two_tf2", "counter", "bad"}) {
      Protos.Http o = get(rest("/v1/models/" + other + "/metadata"));
      assertThat(o.code()).as(other + ": " + o.body()).isEqualTo(200);
      assertThat(json.readTree(o.body()).get("model_spec").get("name").asText()).isEqualTo(other);
    }
    JsonNode counterOut =
        json.readTree(get(rest("/v1/models/counter/metadata")).body())
            .get("metadata").get("signature_def").get("signature_def").get("get_counter").get("outputs").get("output");
    assertThat(counterOut.get("dtype").asText()).isEqualTo("DT_FLOAT");
  }

  @Test
  void restErrorsAreJsonWithTheRightHttpCode() throws Exception {
    Protos.Http nf = post(rest("/v1/models/nope:predict"), "{\"instances\": [1.0]}");
    assertThat(nf.code()).isEqualTo(404);
    assertThat(json.readTree(nf.body()).get("error").asText()).isEqualTo("Servable not found for request: Latest(nope)");

    Protos.Http bad = post(rest("/v1/models/half_plus_two:predict"), "{\"instances\": [1.0,");
    assertThat(bad.code()).isEqualTo(400);
    assertThat(json.readTree(bad.body()).get("error").asText()).isNotBlank();

    Protos.Http sig = post(rest("/v1/models/bad:predict"), "{\"instances\": [1.0]}");
    assertThat(sig.code()).isEqualTo(400);
    assertThat(json.readTree(sig.body()).get("error").asText()).contains("serving_default");

    Protos.Http path = get(rest("/v1/nothing/here"));
    assertThat(path.code()).isEqualTo(404);
    assertThat(json.readTree(path.body()).has("error")).isTrue();

    Protos.Http label = get(rest("/v1/models/half_plus_two/labels/stable"));
    assertThat(label.code()).isEqualTo(400);
    assertThat(json.readTree(label.body()).get("error").asText()).isEqualTo("Unrecognized servable version label: stable");
  }

  @Test
  void prometheusPageCountsRequestsPerModelAndApi() throws Exception {
    post(rest("/v1/models/half_plus_two:predict"), "{\"instances\": [1.0]}");
    Protos.Http page = get(rest("/monitoring/prometheus/metrics"));
    assertThat(page.code()).isEqualTo(200);
    assertThat(page.body())
        .containsPattern(":tensorflow:serving:request_count\\{model_name=\"half_plus_two\",API=\"Predict\",status=\"OK\"\\} [1-9]")
        .contains(":tensorflow:serving:request_latency_bucket{model_name=\"half_plus_two\",API=\"Predict\",le=\"+Inf\"}");
  }

  @Test
  void aTakenRestPortIsReportedWithTheAddress() {
    int taken = server.restPort();
    Assertions.assertThatThrownBy(
            () ->
                EmbeddedServer.builder()
                    .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
                    .grpcPort(0)
                    .restPort(taken)
                    .fileSystemPollWait(Duration.ZERO)
                    .start())
        .isInstanceOf(BindException.class)
        .hasMessageContaining("127.0.0.1:" + taken);
  }

  @Test
  void unknownPredictMethodIsNotAnInternalError() {
    assertThatThrownBy(
            () ->
                predict.predict(PredictRequest.newBuilder().build()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("INVALID_ARGUMENT");
  }
}
