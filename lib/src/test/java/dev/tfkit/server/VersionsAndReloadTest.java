package dev.tfkit.server;

import static dev.tfkit.testing.TestTensors.floatVector;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Int64Value;
import com.google.protobuf.TextFormat;
import dev.tfkit.server.lifecycle.ServableState;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.testing.TestDirs;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.error.Code;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelManagement.ReloadConfigRequest;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc;

/** Version policies, labels, polling and config reloads, with the two-version fixture. */
class VersionsAndReloadTest {
  @TempDir Path tmp;

  private static ModelServerConfig config(String text) throws TextFormat.ParseException {
    ModelServerConfig.Builder b = ModelServerConfig.newBuilder();
    TextFormat.merge(text, b);
    return b.build();
  }

  private static String model(String name, Path base, String extra) {
    return "config { name: '" + name + "' base_path: '" + base + "' model_platform: 'tensorflow' " + extra + " }";
  }

  private static void await(String what, BooleanSupplier cond) throws InterruptedException {
    for (int i = 0; i < 600 && !cond.getAsBoolean(); i++) {
      Thread.sleep(50);
    }
    assertThat(cond.getAsBoolean()).as(what).isTrue();
  }

  private static long predictVersion(PredictionServiceGrpc.PredictionServiceBlockingStub stub, ModelSpec spec) {
    var r =
        stub.predict(PredictRequest.newBuilder().setModelSpec(spec).putInputs("x", floatVector(2f)).build());
    assertThat(r.getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(3.0f);
    return r.getModelSpec().getVersion().getValue();
  }

  private static List<ModelVersionStatus> status(ModelServiceGrpc.ModelServiceBlockingStub s, String name) {
    return s.getModelStatus(
            GetModelStatusRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(name)).build())
        .getModelVersionStatusList();
  }

  @Test
  void policiesLabelsAndReloadByRpc() throws Exception {
    Path two = Fixtures.tfServing("saved_model_half_plus_two_2_versions");
    Path tf1 = Fixtures.tfServing("saved_model_half_plus_two_cpu");
    try (EmbeddedServer server =
            EmbeddedServer.builder()
                .modelConfig(
                    config(
                        "model_config_list { "
                            + model(
                                "m",
                                two,
                                "model_version_policy { all {} } version_labels { key: 'stable' value: 123 }"
                                    + " version_labels { key: 'canary' value: 124 }")
                            + " }"))
                .grpcPort(0)
                .noRest()
                .start()) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var predict = grpc.predict();
        var models = grpc.models();
        ModelSpec m = ModelSpec.newBuilder().setName("m").build();
        assertThat(predictVersion(predict, m)).isEqualTo(124);
        assertThat(predictVersion(predict, m.toBuilder().setVersionLabel("stable").build())).isEqualTo(123);
        assertThat(predictVersion(predict, m.toBuilder().setVersionLabel("canary").build())).isEqualTo(124);
        assertThat(predictVersion(predict, m.toBuilder().setVersion(Int64Value.of(123)).build()))
            .isEqualTo(123);
        assertThat(status(models, "m"))
            .extracting(ModelVersionStatus::getVersion, ModelVersionStatus::getState)
            .containsExactlyInAnyOrder(
                Tuple.tuple(123L, ModelVersionStatus.State.AVAILABLE),
                Tuple.tuple(124L, ModelVersionStatus.State.AVAILABLE));

        // latest (default num_versions 1) and a second model, by RPC.
        models.handleReloadConfigRequest(
            ReloadConfigRequest.newBuilder()
                .setConfig(
                    config(
                        "model_config_list { "
                            + model("m", two, "model_version_policy { latest {} }")
                            + model("other", tf1, "")
                            + " }"))
                .build());
        assertThat(status(models, "m"))
            .extracting(ModelVersionStatus::getVersion, ModelVersionStatus::getState)
            .containsExactlyInAnyOrder(
                Tuple.tuple(123L, ModelVersionStatus.State.END),
                Tuple.tuple(124L, ModelVersionStatus.State.AVAILABLE));
        assertThat(predictVersion(predict, ModelSpec.newBuilder().setName("other").build())).isEqualTo(123);
        StatusRuntimeException gone =
            org.junit.jupiter.api.Assertions.assertThrows(
                StatusRuntimeException.class,
                () -> predictVersion(predict, m.toBuilder().setVersionLabel("stable").build()));
        assertThat(gone.getStatus().getDescription()).isEqualTo("Unrecognized servable version label: stable");

        // specific {123}; "other" is removed and unloads.
        models.handleReloadConfigRequest(
            ReloadConfigRequest.newBuilder()
                .setConfig(
                    config(
                        "model_config_list { "
                            + model("m", two, "model_version_policy { specific { versions: 123 } }")
                            + " }"))
                .build());
        assertThat(predictVersion(predict, m)).isEqualTo(123);
        StatusRuntimeException removed =
            org.junit.jupiter.api.Assertions.assertThrows(
                StatusRuntimeException.class, () -> predictVersion(predict, ModelSpec.newBuilder().setName("other").build()));
        assertThat(removed.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(status(models, "other")).extracting(ModelVersionStatus::getState).containsOnly(ModelVersionStatus.State.END);

        // A label on a version that is not loaded is refused with FAILED_PRECONDITION.
        StatusRuntimeException label =
            org.junit.jupiter.api.Assertions.assertThrows(
                StatusRuntimeException.class,
                () ->
                    models.handleReloadConfigRequest(
                        ReloadConfigRequest.newBuilder()
                            .setConfig(
                                config(
                                    "model_config_list { "
                                        + model("m", two, "version_labels { key: 'x' value: 123 }")
                                        + " }"))
                            .build()));
        assertThat(label.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      }
    }
  }

  @Test
  void newVersionsOnDiskAreServedAndFailedLoadsKeepTheOldOne() throws Exception {
    Path base = tmp.resolve("hpt");
    Files.createDirectories(base);
    Path v123 = Fixtures.tfServing("saved_model_half_plus_two_2_versions/00000123");
    TestDirs.addVersion(v123, base, 1);
    try (EmbeddedServer server =
        EmbeddedServer.builder()
            .model("hpt", base)
            .fileSystemPollWait(Duration.ofMillis(100))
            .grpcPort(0)
            .noRest()
            .start()) {
      var spec = ModelSpec.newBuilder().setName("hpt").build();
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var predict = grpc.predict();
        var models = grpc.models();
        assertThat(predictVersion(predict, spec)).isEqualTo(1);
        TestDirs.addVersion(v123, base, 2);
        await("version 2 serving", () -> server.models().availableVersions("hpt").equals(Set.of(2L)));
        assertThat(predictVersion(predict, spec)).isEqualTo(2);

        // A broken version 3 fails to load; version 2 keeps serving and status shows the error.
        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        Files.write(broken.resolve("saved_model.pb"), new byte[] {1, 2, 3, 4, 5});
        TestDirs.addVersion(broken, base, 3);
        await(
            "version 3 failed",
            () -> status(models, "hpt").stream().anyMatch(s -> s.getVersion() == 3 && s.getState() == ModelVersionStatus.State.END));
        ModelVersionStatus failed =
            status(models, "hpt").stream().filter(s -> s.getVersion() == 3).findFirst().orElseThrow();
        assertThat(failed.getStatus().getErrorCode()).isNotEqualTo(Code.OK);
        assertThat(failed.getStatus().getErrorMessage()).contains(base.resolve("3").toString());
        assertThat(predictVersion(predict, spec)).isEqualTo(2);
      }
    }
  }

  @Test
  void configFileIsPolledForAddedAndRemovedModels() throws Exception {
    Path tf1 = Fixtures.tfServing("saved_model_half_plus_two_cpu");
    Path tf2 = Fixtures.tfServing("saved_model_half_plus_two_tf2_cpu");
    // The fixture's template, with its placeholders filled in.
    String template = Files.readString(Fixtures.tfServing("good_model_config.txt"));
    Path file = tmp.resolve("models.config");
    Files.writeString(
        file,
        template.replace("${TEST_HALF_PLUS_TWO_DIR}", tf1.toString()).replace("${TEST_HALF_PLUS_THREE_DIR}", tf2.toString()));
    try (EmbeddedServer server =
        EmbeddedServer.builder()
            .modelConfigFile(file)
            .modelConfigFilePollWait(Duration.ofMillis(100))
            .grpcPort(0)
            .noRest()
            .start()) {
      assertThat(server.models().servingModels()).containsExactlyInAnyOrder("half_plus_two", "half_plus_three");
      Path next = tmp.resolve("models.config.tmp");
      Files.writeString(next, "model_config_list { " + model("only", tf1, "") + " }");
      Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      await("config reloaded", () -> server.models().servingModels().equals(Set.of("only")));
      assertThat(server.models().status("half_plus_two"))
          .extracting(s -> s.state())
          .containsOnly(ServableState.END);
    }
  }

  @Test
  void theNextConfigFilePollPutsTheFileBackAfterAReloadByRpc() throws Exception {
    // TF Serving's PollFilesystemAndReloadConfig applies the file at every poll, whether or not it
    // changed: a config set by RPC lasts until the next poll.
    Path tf1 = Fixtures.tfServing("saved_model_half_plus_two_cpu");
    Path file = tmp.resolve("models.config");
    Files.writeString(file, "model_config_list { " + model("from_file", tf1, "") + " }");
    try (EmbeddedServer server =
        EmbeddedServer.builder()
            .modelConfigFile(file)
            .modelConfigFilePollWait(Duration.ofMillis(100))
            .grpcPort(0)
            .noRest()
            .start()) {
      assertThat(server.models().servingModels()).containsExactly("from_file");
      try (ServedChannel grpc = ServedChannel.to(server)) {
        grpc.models()
            .handleReloadConfigRequest(
                ReloadConfigRequest.newBuilder()
                    .setConfig(config("model_config_list { " + model("from_rpc", tf1, "") + " }"))
                    .build());
      }
      // The reload itself took effect (it returns once the new model loaded; a poll may already
      // have unloaded it again, which leaves its END record) ...
      assertThat(server.models().status("from_rpc")).isNotEmpty();
      // ... and the unchanged file is applied again by a later poll.
      await("file config re-applied", () -> server.models().servingModels().equals(Set.of("from_file")));
    }
  }

  @Test
  void invalidConfigFileIsRefusedNamingFileAndPosition() {
    Path bad = Fixtures.tfServing("bad_model_config.txt");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> EmbeddedServer.builder().modelConfigFile(bad).grpcPort(0).noRest().start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(bad.toString())
        .hasMessageContaining("text-format tensorflow.serving.ModelServerConfig")
        .hasMessageContaining("line 1, column");
  }

  @Test
  void aVersionFixedWithinTheLoadRetriesServesWithNoPollAndStatusCarriesTheLoadErrorsCode() throws Exception {
    // A version whose checkpoint index is missing (a copy still running) fails FAILED_PRECONDITION;
    // polling is off, so only --max_num_load_retries can bring it up once the file is back.
    Path v123 = Fixtures.tfServing("saved_model_half_plus_two_cpu").resolve("00000123");
    Path base = tmp.resolve("retry");
    TestDirs.copyTree(v123, base.resolve("1"));
    Path index = base.resolve("1/variables/variables.index");
    Path aside = tmp.resolve("variables.index");
    Files.move(index, aside);
    try (EmbeddedServer server =
            EmbeddedServer.builder()
                .model("r", base)
                .fileSystemPollWait(Duration.ZERO)
                .maxNumLoadRetries(50)
                .loadRetryInterval(Duration.ofMillis(100))
                .grpcPort(0)
                .noRest()
                .start()) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var models = grpc.models();
        ModelVersionStatus failed = status(models, "r").get(0);
        assertThat(failed.getState()).isEqualTo(ModelVersionStatus.State.END);
        assertThat(failed.getStatus().getErrorCode()).isEqualTo(Code.FAILED_PRECONDITION);
        assertThat(failed.getStatus().getErrorMessage()).contains("being copied");
        Files.move(aside, index);
        await("the retry to load version 1", () -> server.models().availableVersions("r").contains(1L));
        ModelVersionStatus ok = status(models, "r").get(0);
        assertThat(ok.getState()).isEqualTo(ModelVersionStatus.State.AVAILABLE);
        assertThat(ok.getStatus().getErrorCode()).isEqualTo(Code.OK);
        assertThat(predictVersion(grpc.predict(), ModelSpec.newBuilder().setName("r").build()))
            .isEqualTo(1);
      }
    }
  }
}
