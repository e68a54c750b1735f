package dev.tfkit.savedmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.tensor.TensorValue;
import dev.tfkit.zoo.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import tech.tablesaw.api.Table;

class SavedModelInfoAndRunTest {
  @TempDir Path tmp;
  private static final Path HPT = Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123");

  @Test
  void infoOfTensorFlowServingsHalfPlusTwo() {
    SavedModelInfo info = SavedModelInfo.read(HPT);
    assertThat(info.tagSets()).containsExactly(List.of("serve"));
    assertThat(info.signatures("serve")).containsKeys("serving_default", "classify_x_to_y", "regress_x_to_y");
    assertThat(info.signatures("serve").get("serving_default").getInputsOrThrow("x").getDtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(info.assets("serve")).containsExactly("foo.txt");
    assertThat(info.variableBytes()).isPositive();
    String text = info.toString();
    assertThat(text).contains("signature_def['serving_default']:", "inputs['x'] tensor_info:", "shape: (-1, 1)",
        "Method name is: tensorflow/serving/predict", "foo.txt");
    Table t = info.table();
    assertThat(t.columnNames()).containsExactly("tags", "signature", "method", "io", "key", "tensor", "dtype", "shape");
    Table def = t.where(t.stringColumn("signature").isEqualTo("serving_default"));
    assertThat(def.rowCount()).isEqualTo(2);
    assertThat(def.stringColumn("key").asList()).containsExactly("x", "y");
    assertThatThrownBy(() -> info.signatures("gpu")).hasMessageContaining("no MetaGraph with tags [gpu]").hasMessageContaining("[[serve]]");
  }

  @Test
  void runsTheFixtureOnJavaValuesAndJson() throws Exception {
    try (SavedModel m = SavedModel.load(HPT)) {
      try (SavedModel.Outputs out = m.run("serving_default", Map.of("x", new float[][] {{1f}, {2f}, {6f}}))) {
        assertThat(out.json().toString()).isEqualTo("{\"y\":[[2.5],[3.0],[5.0]]}");
      }
      // A flat list fits the [-1, 1] input.
      try (SavedModel.Outputs out = m.run("serving_default", Map.of("x", List.of(4, 8)))) {
        assertThat(out.json().get("y").toString()).isEqualTo("[[4.0],[6.0]]");
      }
      assertThatThrownBy(() -> m.run("nope", Map.of())).hasMessageContaining("signature 'nope' not found").hasMessageContaining("serving_default");
      assertThatThrownBy(() -> m.run("serving_default", Map.of())).hasMessageContaining("input 'x' is missing");
      assertThatThrownBy(() -> m.run("serving_default", Map.of("x", 1f, "z", 2f))).hasMessageContaining("no input 'z'");
      assertThatThrownBy(() -> m.run("serving_default", Map.of("x", "abc"))).hasMessageContaining("input 'x'").hasMessageContaining("String");
    }
  }

  @Test
  void exportedModelInfoShowsEverySignature() {
    Path dir = SavedModelExport.from(TestModels.halfPlusTwo(), TestModels.halfPlusTwoValues())
        .signature(SignatureSpec.predict().input("x", "x").output("y", "y"))
        .signature("regress_it", SignatureSpec.regress("inputs", "outputs"))
        .exportTo(tmp.resolve("m"));
    SavedModelInfo info = SavedModelInfo.read(dir);
    assertThat(info.signatures("serve")).containsOnlyKeys("serving_default", "regress_it");
    assertThat(info.table().rowCount()).isEqualTo(4);
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs out = m.run("regress_it", Map.of("inputs", List.of("1.5", "2")))) {
      assertThat(out.json().toString()).isEqualTo("{\"outputs\":[3.5,4.0]}");
    }
  }

  @Test
  void runTakesTensorValuesAndGivesValuesBack() {
    try (SavedModel m = SavedModel.load(HPT);
        SavedModel.Outputs out = m.run("serving_default", Map.of("x", TensorValue.of(new float[] {10f, 20f})))) {
      var y = out.values().get("y");
      assertThat(y.shape()).containsExactly(2, 1);
      assertThat(y.floats()).containsExactly(7f, 12f);
    }
  }
}
