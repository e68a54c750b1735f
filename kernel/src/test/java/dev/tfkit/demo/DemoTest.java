package dev.tfkit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
    System.out.println(log.toString(StandardCharsets.UTF_8));
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
        }
      }
      assertThat(out.resolve("html").resolve(s.notebook() + ".html")).isRegularFile();
    }
    String index = Files.readString(out.resolve("index.html"));
    assertThat(index).contains("5 of 5 notebooks completed").doesNotContain("class=\"status-failed\"").doesNotContain("Not run");
    // each notebook's first heading, linked to its page, and its executed notebook
    assertThat(index).contains("<a href=\"html/05-portrait-check.html\">05 · The portrait check</a>")
        .contains("<a href=\"html/03-serving.html\">03 · Serve: models.config, the seed&#39;s docker run, and the embedded server</a>")
        .contains("<a href=\"notebooks/01-export-subgraph.ipynb\">01-export-subgraph.ipynb</a>");
    // 05 draws the photos with their boxes: its row has a thumbnail
    String portraitRow = index.substring(index.lastIndexOf("<tr>", index.indexOf("<div class=\"file\">05-portrait-check</div>")));
    assertThat(portraitRow).contains("<img alt=\"first image of 05-portrait-check\" src=\"data:image/png;base64,");
    assertThat(index).contains("<li><code>models/face_detection/1</code></li>");
    for (String m : Demo.MODELS) assertThat(out.resolve("models").resolve(m).resolve("1/saved_model.pb")).isRegularFile();
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
        if (o.path("output_type").asText().equals("display_data") && o.path("data").has("image/png")) {
          String b64 = o.get("data").get("image/png").asText().replaceAll("\\s", "");
          figures.add(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b64))));
        }
      }
    }
    assertThat(figures).hasSize(6);
    for (BufferedImage f : figures) {
      // One row: photo, crop, stylized crop and k = 3 neighbours, 220 px high plus caption and padding.
      assertThat(f.getHeight()).isEqualTo(8 + 220 + 18 + 8);
      assertThat(f.getWidth()).isGreaterThan(6 * 150);
    }
  }
}
