package dev.tfkit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfkit.io.ShortCommand;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job end to end: all five walkthrough notebooks run on the real models and photos, and
 * their outputs say what the walkthrough promises (not only that they ran).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoTest {
  Path out;
  List<Demo.Step> steps;
  String log;
  final ObjectMapper json = new ObjectMapper();

  /**
   * The demo under test, writing to {@code out} ({@code scratch} is free for other files): the
   * in-process engine, as {@code ./tfkit demo} runs it.
   */
  Demo demo(Path out, Path scratch, PrintStream log) throws Exception {
    return new Demo(out, Demo.defaultNotebooks(), log, Duration.ofMinutes(15));
  }

  @BeforeAll
  void runDemo(@TempDir Path dir) throws Exception {
    out = dir.resolve("demo");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    steps = demo(out, dir, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
    this.log = log.toString(StandardCharsets.UTF_8);
    System.out.println(this.log);
  }

  JsonNode notebook(String name) throws Exception {
    return json.readTree(out.resolve("notebooks").resolve(name + ".ipynb").toFile());
  }

  /** All text a notebook printed, in order. */
  String streams(JsonNode nb) {
    StringBuilder s = new StringBuilder();
    for (JsonNode cell : nb.get("cells")) {
      for (JsonNode o : cell.path("outputs")) {
        if (o.path("output_type").asText().equals("stream")) {
          JsonNode t = o.get("text");
          if (t.isArray()) t.forEach(x -> s.append(x.asText()));
          else s.append(t.asText());
        }
      }
    }
    return s.toString();
  }

  @Test
  void allFiveNotebooksRanWithoutErrorOutputs() throws Exception {
    assertThat(steps).extracting(Demo.Step::notebook).containsExactly(
        "01-export-subgraph", "02-export-with-assets", "03-serving", "04-client", "05-portrait-check");
    assertThat(steps).allMatch(Demo.Step::ok);
    for (Demo.Step s : steps) {
      JsonNode nb = notebook(s.notebook());
      for (JsonNode cell : nb.get("cells")) {
        for (JsonNode o : cell.path("outputs")) {
          assertThat(o.path("output_type").asText()).as(s.notebook() + " output").isNotEqualTo("error");
          // A renderer that failed, or an exception a cell caught and printed, is a broken page too.
          String text = outputText(o);
          assertThat(text).as(s.notebook() + " cell " + cell.path("id").asText() + " output")
              .doesNotContain("display: the renderer for")
              .doesNotContainPattern("\\b[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*\\.[A-Z]\\w*(Exception|Error)\\b")
              .doesNotContainPattern("(?m)^\\s+at [\\w.$]+\\([\\w.]+:\\d+\\)");
        }
      }
      assertThat(out.resolve("html").resolve(s.notebook() + ".html")).isRegularFile();
    }
    String index = Files.readString(out.resolve("index.html"));
    assertThat(index).contains("5 of 5 notebooks completed").doesNotContain("class=\"status-failed\"").doesNotContain("Not run");
    // each notebook's first heading, linked to its page, and its executed notebook
    assertThat(index).contains("<a href=\"html/05-portrait-check.html\">05 · The portrait check</a>")
        .contains("<a href=\"html/03-serving.html\">03 · Serve: models.config, the Python walkthrough&#39;s docker run, and the embedded server</a>")
        .contains("<a href=\"notebooks/01-export-subgraph.ipynb\">01-export-subgraph.ipynb</a>");
    // 05 draws the photos with their boxes: its row has a thumbnail
    String portraitRow = index.substring(index.lastIndexOf("<tr>", index.indexOf("<div class=\"file\">05-portrait-check</div>")));
    assertThat(portraitRow).contains("<img alt=\"first image of 05-portrait-check\" src=\"data:image/png;base64,");
    assertThat(index).contains("<li><code>models/face_detection/1</code></li>");
    for (String m : Demo.MODELS) assertThat(out.resolve("models").resolve(m).resolve("1/saved_model.pb")).isRegularFile();
  }

  /** The text of one output: a stream's text, or a display's text/plain and text/html. */
  static String outputText(JsonNode o) {
    StringBuilder s = new StringBuilder();
    for (JsonNode t : List.of(o.path("text"), o.path("data").path("text/plain"), o.path("data").path("text/html"))) {
      if (t.isArray()) t.forEach(x -> s.append(x.asText()));
      else s.append(t.asText());
      s.append('\n');
    }
    return s.toString();
  }

  @Test
  void theLearnedStylizerRanAndItsLicenseIsPrinted() throws Exception {
    // The package is fetched by the demo (npm exists here and in CI): White-box Cartoonization, with its license line.
    assertThat(log).contains("demo: stylizer: White-box Cartoonization").contains("CC BY-NC-SA 4.0")
        .doesNotContain("using the cartoon filter instead");
    assertThat(streams(notebook("01-export-subgraph"))).contains("license CC BY-NC-SA 4.0 (non-commercial use only, share-alike)")
        .contains("with White-box Cartoonization (learned)");
    String text = streams(notebook("05-portrait-check"));
    assertThat(text).contains("stylizer: White-box Cartoonization (learned)");
    assertThat(text).containsPattern("whole photo (\\d+)x(\\d+) -> \\1x\\2");
  }

  @Test
  void theCutEncoderEqualsTheFullGraphAndTheCheckpointAnswersHalfPlusTwo() throws Exception {
    String text = streams(notebook("01-export-subgraph"));
    Matcher m = Pattern.compile("largest difference to the full graph: ([0-9.eE-]+)").matcher(text);
    assertThat(m.find()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).isLessThan(1e-3);
    assertThat(text).contains("y = 0.5 x + 2 for x = 1, 2, 3: [2.5, 3.0, 3.5]");
  }

  @Test
  void theGraphAroundTheCutIsDrawnWhereGraphvizRuns() throws Exception {
    boolean graphviz = ShortCommand.run(List.of("dot", "-V"), 30).ok();
    StringBuilder svg = new StringBuilder();
    for (JsonNode cell : notebook("01-export-subgraph").get("cells")) {
      for (JsonNode o : cell.path("outputs")) {
        JsonNode v = o.path("data").path("image/svg+xml");
        if (!v.isMissingNode()) svg.append(v.isArray() ? String.join("", json.convertValue(v, String[].class)) : v.asText());
      }
    }
    if (graphviz) {
      assertThat(svg.toString()).contains("<svg").contains("global_pooling/Mean");
    } else {
      assertThat(streams(notebook("01-export-subgraph"))).contains("no picture: Graphviz 'dot' could not be started");
    }
  }

  @Test
  void latentSearchLoads200TimesAndEveryFaceFindsItselfFirst() throws Exception {
    String text = streams(notebook("02-export-with-assets"));
    assertThat(text).contains("200 loads, 0 failures");
    Matcher m = Pattern.compile("(\\d+) of (\\d+) faces find themselves first").matcher(text);
    assertThat(m.find()).isTrue();
    assertThat(m.group(1)).isEqualTo(m.group(2));
    assertThat(Integer.parseInt(m.group(2))).isBetween(19, 25);
  }

  @Test
  void grpcAndRestAgree() throws Exception {
    String text = streams(notebook("04-client"));
    assertThat(text).contains("gRPC and REST boxes differ by at most 0.0");
    // The image_bytes signature decodes the JPEG in the graph and finds the same faces.
    Matcher pixels = Pattern.compile("model face_detection version 1: (\\d+) faces").matcher(text);
    Matcher jpeg = Pattern.compile("REST with the JPEG itself \\(signature image_bytes\\): (\\d+) faces").matcher(text);
    assertThat(pixels.find()).as(text).isTrue();
    assertThat(jpeg.find()).as(text).isTrue();
    assertThat(jpeg.group(1)).isEqualTo(pixels.group(1));
    assertThat(text).containsPattern("median gRPC [0-9.]+ ms, REST [0-9.]+ ms, REST with JPEG bytes [0-9.]+ ms \\(\\d+ KB\\)");
  }

  /** Faces counted by looking at each photo; the served detector must be within one. */
  @Test
  void portraitFiguresShowTheFacesOfEachPhoto() throws Exception {
    JsonNode nb = notebook("05-portrait-check");
    String text = streams(nb);
    Map<String, Integer> counted = Map.of(
        "sample1.jpg", 3, "sample2.jpg", 3, "sample3.jpg", 3, "sample4.jpg", 4, "sample5.jpg", 5, "sample6.jpg", 4);
    for (var e : counted.entrySet()) {
      Matcher m = Pattern.compile(Pattern.quote(e.getKey()) + ": (\\d+) faces").matcher(text);
      assertThat(m.find()).as(e.getKey()).isTrue();
      assertThat(Integer.parseInt(m.group(1))).as(e.getKey()).isBetween(e.getValue() - 1, e.getValue() + 1);
    }
    List<BufferedImage> figures = new ArrayList<>();
    for (JsonNode cell : nb.get("cells")) {
      for (JsonNode o : cell.path("outputs")) {
        // display(...) in the loop, then the whole photo as the last cell's value (an execute_result)
        String type = o.path("output_type").asText();
        if ((type.equals("display_data") || type.equals("execute_result")) && o.path("data").has("image/png")) {
          String b64 = o.get("data").get("image/png").asText().replaceAll("\\s", "");
          figures.add(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b64))));
        }
      }
    }
    assertThat(figures).hasSize(7); // six portraits, then one whole photo beside its stylized copy
    for (BufferedImage f : figures.subList(0, 6)) {
      // One row: photo, crop, stylized crop and k = 3 neighbours, 220 px high plus caption and padding.
      assertThat(f.getHeight()).isEqualTo(8 + 220 + 18 + 8);
      assertThat(f.getWidth()).isGreaterThan(6 * 150);
    }
    assertThat(figures.get(6).getHeight()).isEqualTo(8 + 360 + 18 + 8);
  }
}
