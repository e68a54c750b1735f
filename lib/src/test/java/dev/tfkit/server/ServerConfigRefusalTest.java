package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.TextFormat;
import dev.tfkit.server.api.ServerConfigs;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.ModelManagement.ReloadConfigRequest;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;

/**
 * Model config values TF Serving refuses (server_core.cc) are refused by tfkit too, with a message
 * naming the model and the field, at start and by HandleReloadConfigRequest with TF Serving's code.
 */
class ServerConfigRefusalTest {
  @TempDir Path tmp;

  private static ModelServerConfig config(String text) throws Exception {
    ModelServerConfig.Builder b = ModelServerConfig.newBuilder();
    TextFormat.merge(text, b);
    return b.build();
  }

  private static String half() {
    return Fixtures.tfServing("saved_model_half_plus_two_cpu").toString();
  }

  @Test
  void aPlatformOtherThanTensorflowIsRefusedNamingModelAndField() throws Exception {
    Path file = tmp.resolve("models.config");
    Files.writeString(file, "model_config_list { config { name: 'lite' base_path: '" + half() + "' model_platform: 'tflite' } }");
    assertThatThrownBy(() -> EmbeddedServer.builder().modelConfigFile(file).grpcPort(0).noRest().start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model 'lite'")
        .hasMessageContaining("model_platform")
        .hasMessageContaining("PlatformConfigMap has no entry for platform tflite");
  }

  @Test
  void deprecatedModelTypeFollowsTfServingsRules() throws Exception {
    // model_type: TENSORFLOW means the tensorflow platform.
    assertThat(ServerConfigs.models(config("model_config_list { config { name: 'a' base_path: '/x' model_type: TENSORFLOW } }"), Path.of("")))
        .hasSize(1);
    assertThatThrownBy(() -> ServerConfigs.models(
            config("model_config_list { config { name: 'b' base_path: '/x' model_type: TENSORFLOW model_platform: 'tensorflow' } }"), Path.of("")))
        .hasMessageContaining("model 'b'")
        .hasMessageContaining("Illegal setting both ModelServerConfig::model_type (deprecated) and ModelServerConfig::model_platform");
    assertThatThrownBy(() -> ServerConfigs.models(
            config("model_config_list { config { name: 'c' base_path: '/x' model_type: OTHER } }"), Path.of("")))
        .hasMessageContaining("model 'c'")
        .hasMessageContaining("ModelServerConfig::model_type choice 2 not supported.");
  }

  @Test
  void customModelConfigIsRefusedNamingTheField() throws Exception {
    ModelServerConfig custom = config("custom_model_config { type_url: 'x/y' }");
    assertThatThrownBy(() -> EmbeddedServer.builder().modelConfig(custom).grpcPort(0).noRest().start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("custom_model_config")
        .hasMessageContaining("Missing custom_model_config_loader in ServerCore Options");
  }

  @Test
  void reloadRefusesThemWithTfServingsCodes() throws Exception {
    try (EmbeddedServer server = EmbeddedServer.builder().model("m", Path.of(half())).grpcPort(0).noRest().start()) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var stub = grpc.models();
        assertThatThrownBy(
                () -> stub.handleReloadConfigRequest(
                    ReloadConfigRequest.newBuilder()
                        .setConfig(config("model_config_list { config { name: 'lite' base_path: '" + half() + "' model_platform: 'tflite' } }"))
                        .build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION))
            .hasMessageContaining("model 'lite'")
            .hasMessageContaining("PlatformConfigMap has no entry for platform tflite");
        assertThatThrownBy(
                () -> stub.handleReloadConfigRequest(
                    ReloadConfigRequest.newBuilder().setConfig(config("custom_model_config { type_url: 'x/y' }")).build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
            .hasMessageContaining("custom_model_config");
        // Nothing changed: the model still serves.
        assertThat(server.models().servingModels()).containsExactly("m");
      }
    }
  }
}
