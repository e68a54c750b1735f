package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.zoo.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated model files (bytes replaced, bits flipped, files cut short; fixed seeds) either load or
 * fail with an IllegalArgumentException that names the file or folder — never another exception,
 * a message without the path, or a JVM crash (which would end this test JVM). This found TF Java's
 * INVALID_ARGUMENT escaping unwrapped: it is an IllegalArgumentException, not a
 * TensorFlowException.
 */
class LoaderFuzzTest {
  @TempDir Path tmp;

  private static byte[] mutate(byte[] orig, Random r) {
    byte[] b = orig.clone();
    int edits = 1 + r.nextInt(4);
    for (int k = 0; k < edits; k++) {
      int pos = r.nextInt(b.length);
      switch (r.nextInt(3)) {
        case 0 -> b[pos] = (byte) r.nextInt(256);
        case 1 -> b[pos] ^= (byte) (1 << r.nextInt(8));
        default -> b[pos] = (byte) (r.nextBoolean() ? 0 : 0xff);
      }
    }
    return r.nextInt(10) == 0 ? Arrays.copyOf(b, r.nextInt(b.length)) : b;
  }

  /** Loads {@code path} (and runs it when it loads); returns what happened, or fails the test. */
  private static String tryLoad(Path path, Path named, String... fetch) {
    try (ModelGraph g = ModelGraph.load(path)) {
      g.summary();
      if (fetch.length > 0) {
        try {
          g.run(Map.of(), fetch);
        } catch (IllegalArgumentException e) {
          // A mutated graph may not run; it must still say so with a message.
          assertThat(e.getMessage()).as("run of %s", path).isNotBlank();
        }
      }
      return "loaded";
    } catch (IllegalArgumentException e) {
      assertThat(e.getClass()).as("%s: %s", path, e).isEqualTo(IllegalArgumentException.class);
      assertThat(e.getMessage()).as("%s", e).contains(named.toString());
      return "refused";
    }
  }

  @Test
  void mutatedSavedModelsAndCheckpointsLoadOrAreRefusedByName() throws Exception {
    Path src = Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123");
    List<String> files =
        List.of("saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001");
    Random r = new Random(20261203);
    List<String> outcomes = new ArrayList<>();
    int cases = 0;
    for (String target : files) {
      byte[] orig = Files.readAllBytes(src.resolve(target));
      int n = target.equals("saved_model.pb") ? 150 : 40;
      for (int i = 0; i < n; i++, cases++) {
        Path d = tmp.resolve("sm" + cases);
        Files.createDirectories(d.resolve("variables"));
        for (String f : files) {
          Files.copy(src.resolve(f), d.resolve(f));
        }
        Files.write(d.resolve(target), mutate(orig, r));
        outcomes.add(tryLoad(d, d));
      }
    }
    assertThat(outcomes).hasSize(cases).contains("refused");
  }

  @Test
  void mutatedFrozenGraphsLoadOrAreRefusedByName() throws Exception {
    byte[] orig = Files.readAllBytes(BadInputTest.frozenHalfPlusTwo(tmp));
    Random r = new Random(7);
    List<String> outcomes = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      Path f = tmp.resolve("g" + i + ".pb");
      Files.write(f, mutate(orig, r));
      // Loading a GraphDef imports it lazily: the run is what reaches TensorFlow.
      outcomes.add(tryLoad(f, f.getFileName(), "Add:0"));
    }
    assertThat(outcomes).contains("refused");
  }
}
