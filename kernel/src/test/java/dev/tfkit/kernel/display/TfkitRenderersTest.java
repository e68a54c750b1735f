package dev.tfkit.kernel.display;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Int64Value;
import dev.tfkit.savedmodel.SavedModelInfo;
import dev.tfkit.serving.Prediction;
import dev.tfkit.tensor.TensorValue;
import dev.tfkit.zoo.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tensorflow.serving.Model.ModelSpec;

class TfkitRenderersTest {
  final DisplayRegistry registry = DisplayRegistry.withDefaults();

  @Test
  void tensorShowsDtypeShapeAndFirstValues() {
    MimeBundle b = registry.render(TensorValue.of(new float[][] {{1.5f, 2f}, {3f, 4f}}), w -> {});
    String html = b.get("text/html");
    assertThat(html).contains("TensorValue").contains("[2, 2]").contains("1.500, 2, 3, 4");
    assertThat(b.plainText()).isNotBlank();
  }

  @Test
  void stringTensorsShowTheirStringsEscaped() {
    String html = registry.render(TensorValue.of(new String[] {"a<b", "c"}), w -> {}).get("text/html");
    assertThat(html).contains("&quot;a&lt;b&quot;").doesNotContain("a<b");
  }

  @Test
  void predictionListsEveryOutputWithModelAndVersion() {
    Prediction p =
        Prediction.of(
            ModelSpec.newBuilder().setName("faces").setVersion(Int64Value.of(7)).setSignatureName("serving_default").build(),
            Map.of("scores", TensorValue.of(new float[] {0.9f}), "names", TensorValue.of(new String[] {"x"})));
    String html = registry.render(p, w -> {}).get("text/html");
    assertThat(html).contains("faces v7").contains("scores").contains("names").contains("0.9000");
  }

  @Test
  void savedModelShowsEachMetaGraphByItsTagsWithoutARendererFailure() {
    SavedModelInfo info = SavedModelInfo.read(Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123"));
    List<String> warnings = new ArrayList<>();
    MimeBundle b = registry.render(info, warnings::add);
    assertThat(warnings).isEmpty();
    String html = b.get("text/html");
    assertThat(html).contains("MetaGraph · tags serve").contains("serving_default").contains("tensorflow/serving/predict")
        .contains("x:0").contains("y:0");
  }
}
