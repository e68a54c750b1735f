package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the oneDNN switch reads TensorFlow's variable, and what show and doctor print. */
class OneDnnSettingTest {
  @Test
  void theVariableDecidesAndUnsetIsTensorFlowsX86Default() {
    assertThat(OneDnn.enabled(Map.of(OneDnn.ENV, "0"))).isFalse();
    assertThat(OneDnn.enabled(Map.of(OneDnn.ENV, "false"))).isFalse();
    assertThat(OneDnn.enabled(Map.of(OneDnn.ENV, "1"))).isTrue();
    assertThat(OneDnn.enabled(Map.of(OneDnn.ENV, " TRUE "))).isTrue();
    boolean x86 = System.getProperty("os.arch").matches("amd64|x86_64");
    assertThat(OneDnn.enabled(Map.of())).isEqualTo(x86);
  }

  @Test
  void theLineSaysTheStateItsSourceAndHowToChangeIt() {
    assertThat(OneDnn.describe(Map.of(OneDnn.ENV, "0")))
        .isEqualTo("oneDNN off (TF_ENABLE_ONEDNN_OPTS=0; ./tfkit --onednn on changes it)");
    assertThat(OneDnn.describe(Map.of(OneDnn.ENV, "1")))
        .startsWith("oneDNN on (TF_ENABLE_ONEDNN_OPTS=1; ./tfkit --onednn off changes it; results differ");
  }
}
