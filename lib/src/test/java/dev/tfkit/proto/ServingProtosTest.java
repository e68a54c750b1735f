package dev.tfkit.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Int64Value;
import com.google.protobuf.TextFormat;
import dev.tfkit.testing.TestTensors;
import dev.tfkit.zoo.Fixtures;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.error.Code;
import tensorflow.serving.Classification;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfig;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.Status;

/** Checks that the TF Serving protos carry upstream's names and numbers and link to TF Java's messages. */
class ServingProtosTest {

  /** One row of packed floats: shape [1, n] in tensor_content. */
  private static TensorProto floats(float... values) {
    return TestTensors.packedFloats(new long[] {1, values.length}, values);
  }

  @Test
  void predictRequestWithTfJavaTensorRoundTripsThroughBytes() throws Exception {
    PredictRequest request = PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("half_plus_two")
            .setVersion(Int64Value.of(123)).setSignatureName("serving_default"))
        .putInputs("x", floats(1f, 2f, 5f))
        .addOutputFilter("y")
        .build();

    byte[] bytes = request.toByteArray();
    PredictRequest back = PredictRequest.parseFrom(bytes);

    assertThat(back).isEqualTo(request);
    assertThat(back.getInputsOrThrow("x")).isInstanceOf(TensorProto.class);
    assertThat(back.getInputsOrThrow("x").getTensorShape().getDim(1).getSize()).isEqualTo(3);
    assertThat(back.getModelSpec().getVersion().getValue()).isEqualTo(123);
    // The map value type is TF Java's own descriptor, not a second copy of tensor.proto.
    FieldDescriptor value = PredictRequest.getDescriptor().findFieldByName("inputs")
        .getMessageType().findFieldByName("value");
    assertThat(value.getMessageType()).isSameAs(TensorProto.getDescriptor());
  }

  @Test
  void wireBytesMatchAHandEncodedRequest() throws Exception {
    // model_spec (field 1, length-delimited) { name (field 1) "m" }: 0x0a 0x03 0x0a 0x01 'm'
    byte[] expected = {0x0a, 0x03, 0x0a, 0x01, 'm', 0x1a, 0x01, 'y'};
    PredictRequest request = PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("m")).addOutputFilter("y").build();
    assertThat(request.toByteArray()).containsExactly(expected);
  }

  private static void assertFields(Descriptor d, String fullName, Object... nameNumber) {
    assertThat(d.getFullName()).isEqualTo(fullName);
    for (int i = 0; i < nameNumber.length; i += 2) {
      FieldDescriptor f = d.findFieldByName((String) nameNumber[i]);
      assertThat(f).as(fullName + "." + nameNumber[i]).isNotNull();
      assertThat(f.getNumber()).as(fullName + "." + nameNumber[i]).isEqualTo(nameNumber[i + 1]);
    }
  }

  @Test
  void keyMessagesCarryUpstreamNamesAndNumbers() {
    assertFields(PredictRequest.getDescriptor(), "tensorflow.serving.PredictRequest",
        "model_spec", 1, "inputs", 2, "output_filter", 3);
    assertFields(PredictResponse.getDescriptor(), "tensorflow.serving.PredictResponse",
        "outputs", 1, "model_spec", 2);
    assertFields(ModelSpec.getDescriptor(), "tensorflow.serving.ModelSpec",
        "name", 1, "version", 2, "signature_name", 3, "version_label", 4);
    assertThat(ModelSpec.getDescriptor().findFieldByName("version").getMessageType().getFullName())
        .isEqualTo("google.protobuf.Int64Value");
    assertThat(ModelSpec.getDescriptor().findFieldByName("version").getContainingOneof().getName())
        .isEqualTo("version_choice");
    assertFields(ModelVersionStatus.getDescriptor(), "tensorflow.serving.ModelVersionStatus",
        "version", 1, "state", 2, "status", 3);
    assertThat(ModelVersionStatus.State.AVAILABLE.getNumber()).isEqualTo(30);
    assertThat(ModelVersionStatus.State.LOADING.getNumber()).isEqualTo(20);
    assertThat(ModelVersionStatus.State.END.getNumber()).isEqualTo(50);
    assertFields(ModelConfig.getDescriptor(), "tensorflow.serving.ModelConfig",
        "name", 1, "base_path", 2, "model_type", 3, "model_platform", 4, "logging_config", 6,
        "model_version_policy", 7, "version_labels", 8);
    assertFields(ModelServerConfig.getDescriptor(), "tensorflow.serving.ModelServerConfig",
        "model_config_list", 1, "custom_model_config", 2);
    assertFields(Classification.ClassificationResponse.getDescriptor(),
        "tensorflow.serving.ClassificationResponse", "result", 1, "model_spec", 2);
    assertFields(PredictionLog.getDescriptor(), "tensorflow.serving.PredictionLog",
        "log_metadata", 1, "classify_log", 2, "regress_log", 3, "multi_inference_log", 4,
        "session_run_log", 5, "predict_log", 6);
    // The status error code is TF's own enum (tsl), linked from TF Java.
    FieldDescriptor code = Status.StatusProto.getDescriptor()
        .findFieldByName("error_code");
    assertThat(code.getEnumType()).isSameAs(Code.getDescriptor());
    assertThat(code.getJsonName()).isEqualTo("error_code");
  }

  private static List<String> methods(ServiceDescriptor service) {
    return service.getMethods().stream().map(MethodDescriptor::getFullMethodName)
        .sorted().collect(Collectors.toList());
  }

  @Test
  void servicesHaveUpstreamMethods() {
    assertThat(methods(PredictionServiceGrpc.getServiceDescriptor())).containsExactly(
        "tensorflow.serving.PredictionService/Classify",
        "tensorflow.serving.PredictionService/GetModelMetadata",
        "tensorflow.serving.PredictionService/MultiInference",
        "tensorflow.serving.PredictionService/Predict",
        "tensorflow.serving.PredictionService/Regress");
    assertThat(methods(ModelServiceGrpc.getServiceDescriptor())).containsExactly(
        "tensorflow.serving.ModelService/GetModelStatus",
        "tensorflow.serving.ModelService/HandleReloadConfigRequest");
  }

  @Test
  void textFormatModelServerConfigFixtureParses() throws Exception {
    String text = Files.readString(Fixtures.tfServing("good_model_config.txt"))
        .replace("${TEST_HALF_PLUS_TWO_DIR}", "/models/half_plus_two")
        .replace("${TEST_HALF_PLUS_THREE_DIR}", "/models/half_plus_three");
    ModelServerConfig config = TextFormat.parse(text, ModelServerConfig.class);

    List<ModelConfig> models = config.getModelConfigList().getConfigList();
    assertThat(models).extracting(ModelConfig::getName)
        .containsExactly("half_plus_two", "half_plus_three");
    assertThat(models).extracting(ModelConfig::getBasePath)
        .containsExactly("/models/half_plus_two", "/models/half_plus_three");
    assertThat(models).extracting(ModelConfig::getModelPlatform).containsOnly("tensorflow");
  }
}
