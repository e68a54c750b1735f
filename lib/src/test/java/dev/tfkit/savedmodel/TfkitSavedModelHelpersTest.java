package dev.tfkit.savedmodel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.Tfkit;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TfkitSavedModelHelpersTest {
  @TempDir Path tmp;

  @Test
  void jshellHelpersExportShowAndRun() {
    Path dir = tmp.resolve("m");
    Tfkit.exportSavedModel(TestModels.halfPlusTwo(), TestModels.halfPlusTwoValues())
        .signature(SignatureSpec.predict().input("x", "x").output("y", "y"))
        .exportTo(dir);
    assertThat(Tfkit.savedModelInfo(dir.toString()).signatures("serve")).containsOnlyKeys("serving_default");
    var out = Tfkit.runSavedModel(dir.toString(), "serving_default", Map.of("x", new float[][] {{4f}}));
    assertThat(out.get("y").floats()).containsExactly(4f);
  }
}
