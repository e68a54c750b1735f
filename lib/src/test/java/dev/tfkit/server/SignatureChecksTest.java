package dev.tfkit.server;

import static dev.tfkit.server.Protos.*;
import static dev.tfkit.testing.TestTensors.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import dev.tfkit.savedmodel.SavedModelInfo;
import dev.tfkit.server.api.ServingApi;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.testing.TestDirs;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.TensorProto;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc.PredictionServiceBlockingStub;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

/**
 * Signatures checked one by one (a model with one signature that does not match its graph still
 * serves the others, as in TF Serving) and TF Serving's --enable_signature_method_name_check.
 */
class SignatureChecksTest {
  @TempDir Path tmp;

  private static ModelSpec spec(String model, String signature) {
    return ModelSpec.newBuilder().setName(model).setSignatureName(signature).build();
  }

  private static Status.Code code(Throwable t) {
    return ((StatusRuntimeException) t).getStatus().getCode();
  }

  @Test
  void aSignatureThatDoesNotMatchTheGraphFailsAloneAndTheOthersServe() throws Exception {
    // saved_model_half_plus_three: signature "tensorflow/serving/regress" declares DT_FLOAT on the
    // DT_STRING tf_example tensor; TF Java refused the whole model before.
    try (EmbeddedServer server =
            EmbeddedServer.builder()
                .model("three", Fixtures.tfServing("saved_model_half_plus_three"))
                .grpcPort(0)
                .restPort(0)
                .start()) {
      assertThat(server.models().servingModels()).contains("three");
      try (ServedChannel grpc = ServedChannel.to(server)) {
        PredictionServiceBlockingStub stub = grpc.predict();
        GetModelMetadataResponse md =
            stub.getModelMetadata(
                GetModelMetadataRequest.newBuilder()
                    .setModelSpec(ModelSpec.newBuilder().setName("three"))
                    .addMetadataField("signature_def")
                    .build());
        SignatureDefMap sigs = md.getMetadataOrThrow("signature_def").unpack(SignatureDefMap.class);
        Struct errors = md.getMetadataOrThrow(ServingApi.SIGNATURE_ERRORS).unpack(Struct.class);
        assertThat(errors.getFieldsMap()).hasSize(1);
        String bad = errors.getFieldsMap().keySet().iterator().next();
        String why = errors.getFieldsOrThrow(bad).getStringValue();
        // Metadata still lists it as stored (as TF Serving does) and says why it cannot run.
        assertThat(sigs.getSignatureDefMap()).containsKey(bad).containsKey("serving_default");
        assertThat(why).contains("tf_example:0").contains("DT_STRING").contains("DT_FLOAT");
        // Its requests fail INVALID_ARGUMENT naming the reason (TensorFlow's code for such a run).
        String badMethod = sigs.getSignatureDefOrThrow(bad).getMethodName();
        assertThatThrownBy(
                () -> {
                  if (badMethod.endsWith("regress")) {
                    stub.regress(RegressionRequest.newBuilder().setModelSpec(spec("three", bad)).setInput(examples(example("x", 2f))).build());
                  } else {
                    stub.predict(PredictRequest.newBuilder().setModelSpec(spec("three", bad)).putInputs("inputs", floatVector(2f)).build());
                  }
                })
            .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
            .hasMessageContaining("Signature \"" + bad + "\"")
            .hasMessageContaining("DT_STRING");
        // Every other signature serves: 0.5 * 2 + 3 = 4 (tensorflow_model_server_test.py).
        float y =
            stub.predict(
                    PredictRequest.newBuilder()
                        .setModelSpec(spec("three", ""))
                        .putInputs("x", floats(new long[] {1, 1}, 2f))
                        .build())
                .getOutputsOrThrow("y")
                .getFloatVal(0);
        assertThat(y).isEqualTo(4f);
        Http meta = get(server.restUrl() + "/v1/models/three/metadata");
        assertThat(meta.code()).isEqualTo(200);
        assertThat(meta.body()).contains("\"signature_def\"").contains("\"" + ServingApi.SIGNATURE_ERRORS + "\"").contains(bad);
      }
    }
  }

  @Test
  void aModelWhoseSignaturesAllMatchHasNoErrorEntry() throws Exception {
    try (EmbeddedServer server =
            EmbeddedServer.builder()
                .model("two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
                .grpcPort(0)
                .restPort(0)
                .start()) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        GetModelMetadataResponse md =
            grpc.predict()
                .getModelMetadata(
                    GetModelMetadataRequest.newBuilder()
                        .setModelSpec(ModelSpec.newBuilder().setName("two"))
                        .addMetadataField("signature_def")
                        .build());
        assertThat(md.getMetadataMap()).containsOnlyKeys("signature_def");
        assertThat(get(server.restUrl() + "/v1/models/two/metadata").body()).doesNotContain(ServingApi.SIGNATURE_ERRORS);
      }
    }
  }

  /** half_plus_two with one more signature, "custom", whose method_name is none of TF Serving's. */
  private Path withCustomMethod() throws Exception {
    Path src = Fixtures.tfServing("saved_model_half_plus_two_cpu").resolve("00000123");
    Path dst = TestDirs.copyTree(src, tmp.resolve("custom/00000123"));
    SavedModel model = SavedModelInfo.read(src).proto();
    SavedModel.Builder b = model.toBuilder();
    MetaGraphDef.Builder mg = b.getMetaGraphsBuilder(0);
    mg.putSignatureDef(
        "custom", mg.getSignatureDefOrThrow("serving_default").toBuilder().setMethodName("custom/method").build());
    Files.write(dst.resolve("saved_model.pb"), b.build().toByteArray());
    return dst.getParent();
  }

  @Test
  void methodNameCheckFollowsTheFlag() throws Exception {
    Path custom = withCustomMethod();
    for (boolean check : new boolean[] {false, true}) {
      try (EmbeddedServer server =
              EmbeddedServer.builder()
                  .model("custom", custom)
                  .model("tf1", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
                  .model("tf2", Fixtures.tfServing("saved_model_half_plus_two_tf2_cpu"))
                  .signatureMethodNameCheck(check)
                  .grpcPort(0)
                  .noRest()
                  .start()) {
        try (ServedChannel grpc = ServedChannel.to(server)) {
          PredictionServiceBlockingStub stub = grpc.predict();
          PredictRequest predictCustom =
              PredictRequest.newBuilder()
                  .setModelSpec(spec("custom", "custom"))
                  .putInputs("x", floats(new long[] {1, 1}, 2f))
                  .build();
          // TF2 exports write "predict" as every signature's method: Regress on one.
          RegressionRequest regressTf2 =
              RegressionRequest.newBuilder()
                  .setModelSpec(spec("tf2", "regress_x_to_y"))
                  .setInput(examples(example("x", 2f)))
                  .build();
          // A regress-method signature classified.
          ClassificationRequest classifyRegressSig =
              ClassificationRequest.newBuilder()
                  .setModelSpec(spec("tf1", "regress_x_to_y"))
                  .setInput(examples(example("x", 2f)))
                  .build();
          // A classify-method signature predicted: allowed either way (predict_util accepts
          // predict, classify and regress methods).
          float viaClassifySig =
              stub.predict(
                      PredictRequest.newBuilder()
                          .setModelSpec(spec("tf1", "classify_x_to_y"))
                          .putInputs("inputs", TensorProto.newBuilder()
                              .setDtype(DataType.DT_STRING)
                              .setTensorShape(shape(1))
                              .addStringVal(example("x", 2f).toByteString())
                              .build())
                          .build())
                  .getOutputsOrThrow("scores")
                  .getFloatVal(0);
          assertThat(viaClassifySig).isEqualTo(3f);
          if (!check) {
            assertThat(stub.predict(predictCustom).getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(3f);
            assertThat(stub.regress(regressTf2).getResult().getRegressions(0).getValue()).isEqualTo(3f);
            assertThatThrownBy(() -> stub.classify(classifyRegressSig))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .hasMessageNotContaining("method_name");
          } else {
            assertThatThrownBy(() -> stub.predict(predictCustom))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INTERNAL))
                .hasMessageContaining(
                    "Expected prediction signature method_name to be one of {tensorflow/serving/predict,"
                        + " tensorflow/serving/classify, tensorflow/serving/regress}. Was: custom/method");
            assertThatThrownBy(() -> stub.regress(regressTf2))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .hasMessageContaining(
                    "Expected regression signature method_name to be tensorflow/serving/regress. Was:"
                        + " tensorflow/serving/predict");
            assertThatThrownBy(() -> stub.classify(classifyRegressSig))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .hasMessageContaining(
                    "Expected classification signature method_name to be tensorflow/serving/classify. Was:"
                        + " tensorflow/serving/regress");
          }
        }
      }
    }
  }
}
