package dev.tfkit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.zoo.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServingConfigTest {

  @TempDir Path tmp;

  @Test
  void writesTfServingTextFormat() {
    ServingConfig config = ServingConfig.of(
        ServedModel.of("half_plus_two", "/models/half_plus_two"),
        ServedModel.of("counter", "/models/counter")
            .withSpecificVersions(1, 2)
            .withLabel("stable", 1)
            .withLabel("canary", 2));

    // Written by hand from TF Serving's documented config format.
    String expected = String.join("\n",
        "model_config_list {",
        "  config {",
        "    name: \"half_plus_two\"",
        "    base_path: \"/models/half_plus_two\"",
        "    model_platform: \"tensorflow\"",
        "  }",
        "  config {",
        "    name: \"counter\"",
        "    base_path: \"/models/counter\"",
        "    model_platform: \"tensorflow\"",
        "    model_version_policy {",
        "      specific {",
        "        versions: 1",
        "        versions: 2",
        "      }",
        "    }",
        // map entries come out sorted by key
        "    version_labels {",
        "      key: \"canary\"",
        "      value: 2",
        "    }",
        "    version_labels {",
        "      key: \"stable\"",
        "      value: 1",
        "    }",
        "  }",
        "}",
        "");
    assertThat(config.toText()).isEqualTo(expected);
  }

  @Test
  void writeAndReadBackIsTheSameConfigAndLeavesNoTempFiles() throws Exception {
    ServingConfig config = ServingConfig.of(
        ServedModel.of("a", "/m/a").withLatestVersions(2),
        ServedModel.of("b", "/m/b").withAllVersions(),
        ServedModel.of("c", "/m/c").withPlatform("other"));
    Path file = config.write(tmp.resolve("sub/models.config"));

    ServingConfig back = ServingConfig.read(file);
    assertThat(back).isEqualTo(config);
    assertThat(back.model("a").orElseThrow().versionPolicy().getLatest().getNumVersions()).isEqualTo(2);
    assertThat(back.model("b").orElseThrow().versionPolicy().hasAll()).isTrue();
    assertThat(back.model("c").orElseThrow().platform()).isEqualTo("other");
    try (var files = Files.list(file.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("models.config");
    }
  }

  @Test
  void readsTfServingsOwnConfigFile() throws Exception {
    String text = Files.readString(Fixtures.tfServing("good_model_config.txt"))
        .replace("${TEST_HALF_PLUS_TWO_DIR}", "/models/half_plus_two")
        .replace("${TEST_HALF_PLUS_THREE_DIR}", "/models/half_plus_three");
    ServingConfig config = ServingConfig.parse(text, "good_model_config.txt");
    assertThat(config.modelNames()).containsExactly("half_plus_two", "half_plus_three");
    assertThat(config.model("half_plus_three").orElseThrow().basePath()).isEqualTo("/models/half_plus_three");
  }

  @Test
  void refusesTfServingsBadConfigFileNamingFileAndLine() {
    Path bad = Fixtures.tfServing("bad_model_config.txt");
    assertThatThrownBy(() -> ServingConfig.read(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad_model_config.txt")
        .hasMessageContaining("line 1");
  }

  @Test
  void refusesDuplicateNames() {
    assertThatThrownBy(() -> ServingConfig.of(ServedModel.of("m", "/a"), ServedModel.of("m", "/b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'m'")
        .hasMessageContaining("more than once");
    String text = "model_config_list { config { name: 'x' base_path: '/a' } config { name: 'x' base_path: '/b' } }";
    assertThatThrownBy(() -> ServingConfig.parse(text, "dup.config"))
        .hasMessageContaining("dup.config").hasMessageContaining("'x'");
  }

  @Test
  void refusesMissingBasePathNamingTheModel() {
    String text = "model_config_list { config { name: 'nobase' model_platform: 'tensorflow' } }";
    assertThatThrownBy(() -> ServingConfig.parse(text, "models.config"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model 'nobase'")
        .hasMessageContaining("base_path is missing");
  }

  @Test
  void refusesBadNamesAndLabelsOutsideSpecificVersions() {
    assertThatThrownBy(() -> ServedModel.of("a/b", "/x")).hasMessageContaining("'a/b'");
    assertThatThrownBy(() -> ServedModel.of("", "/x")).hasMessageContaining("name is missing");
    assertThatThrownBy(() -> ServingConfig.of(
            ServedModel.of("m", "/x").withSpecificVersions(1).withLabel("canary", 2)))
        .hasMessageContaining("model 'm'").hasMessageContaining("'canary'").hasMessageContaining("version 2");
  }

  @Test
  void checkModelFoldersAcceptsRealModelWithTwoVersions() {
    Path base = Fixtures.tfServing("saved_model_half_plus_two_2_versions");
    ServingConfig config = ServingConfig.of(
        ServedModel.of("hp2", base).withSpecificVersions(123, 124).withLabel("stable", 123));
    assertThat(config.checkModelFolders()).isSameAs(config);
    assertThat(ServingConfig.versionFolders(base)).containsExactly(123L, 124L);
  }

  @Test
  void checkModelFoldersNamesTheModelWhenFoldersAreWrong() throws Exception {
    Path noVersions = Files.createDirectories(tmp.resolve("noversions/variables"));
    Files.writeString(tmp.resolve("noversions/saved_model.pb"), "x");
    assertThatThrownBy(() -> ServingConfig.of(ServedModel.of("flat", noVersions.getParent())).checkModelFolders())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model 'flat'")
        .hasMessageContaining("no version folders");

    assertThatThrownBy(() -> ServingConfig.of(ServedModel.of("gone", tmp.resolve("missing"))).checkModelFolders())
        .hasMessageContaining("model 'gone'").hasMessageContaining("does not exist");

    Path base = Fixtures.tfServing("saved_model_half_plus_two_2_versions");
    assertThatThrownBy(() -> ServingConfig.of(ServedModel.of("hp2", base).withSpecificVersions(7)).checkModelFolders())
        .hasMessageContaining("model 'hp2'").hasMessageContaining("version 7")
        .hasMessageContaining("[123, 124]");
  }

  @Test
  void mapBasePathsKeepsEverythingElse() {
    ServingConfig config = ServingConfig.of(ServedModel.of("m", "/host/m").withAllVersions().withLabel("l", 3));
    ServingConfig mapped = config.mapBasePaths(m -> "/models/" + m.name());
    assertThat(mapped.models()).hasSize(1);
    ServedModel m = mapped.models().get(0);
    assertThat(m.basePath()).isEqualTo("/models/m");
    assertThat(m.versionPolicy().hasAll()).isTrue();
    assertThat(m.labels()).containsEntry("l", 3L);
    assertThat(config.models().get(0).basePath()).isEqualTo("/host/m");
    assertThat(List.of(config.toText().contains("/host/m"), mapped.toText().contains("/host/m")))
        .containsExactly(true, false);
  }
}
