package dev.tfkit.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tfkit.notebook.document.NotebookDocument;
import dev.tfkit.notebook.document.NotebookOutputs;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index page of a notebook batch, from executed notebooks written for the test. */
class NotebookIndexTest {
  @TempDir Path tmp;

  private static String png(int w, int h, Color c) throws Exception {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(c);
    g.fillRect(0, 0, w, h);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  /** Notebook a: text before its heading, a text result, a broken image, then a 400x300 red image, then a blue one. */
  private Path notebookA() throws Exception {
    NotebookDocument nb = TestNotebooks.java()
        .code("var x = 1;")
        .markdown("Some words first.\n\n# Export the model & `cut` it <b>if</b> a < b\n\n## A later heading")
        .code("x")
        .code("display(broken); display(red); display(blue)")
        .document();
    ((ArrayNode) nb.cells().get(2).get("outputs")).add(NotebookOutputs.executeResult(1, Map.of("text/plain", "1"), Map.of()));
    ArrayNode out = (ArrayNode) nb.cells().get(3).get("outputs");
    out.add(NotebookOutputs.displayData(Map.of("image/png", "bm90IGFuIGltYWdl", "text/plain", "broken"), Map.of()));
    out.add(NotebookOutputs.displayData(Map.of("image/png", png(400, 300, Color.RED), "text/plain", "red"), Map.of()));
    out.add(NotebookOutputs.displayData(Map.of("image/png", png(50, 50, Color.BLUE), "text/plain", "blue"), Map.of()));
    Path file = Files.createDirectories(tmp.resolve("notebooks")).resolve("a nb.ipynb");
    nb.write(file);
    return file;
  }

  /** Notebook b: a setext heading, no images. */
  private Path notebookB() throws Exception {
    Path file = tmp.resolve("notebooks").resolve("b.ipynb");
    TestNotebooks.java().markdown("Serving\n=======\n\ntext").code("1 / 0").write(file);
    return file;
  }

  private static Path touch(Path p) throws Exception {
    Files.createDirectories(p.getParent());
    Files.writeString(p, "<html></html>");
    return p;
  }

  private String render() throws Exception {
    Path a = notebookA();
    Path b = notebookB();
    List<NotebookBatch.Entry> entries = List.of(
        new NotebookBatch.Entry("a nb", a, touch(tmp.resolve("html/a nb.html")), true, 4.21, null),
        new NotebookBatch.Entry("b", b, touch(tmp.resolve("html/b.html")), false, 125.4,
            "cell 2 (In [2]) failed: java.lang.ArithmeticException: / by <zero>\n\tat line 1\nsecond line"),
        new NotebookBatch.Entry("c", null, null, false, 0.05, "kernel died"));
    return NotebookIndex.builder("tfkit <demo>")
        .intro("Walkthrough & more")
        .entries(entries)
        .list("SavedModels", List.of("models/face_detection/1"))
        .runAt(ZonedDateTime.of(2026, 1, 2, 3, 4, 0, 0, ZoneOffset.UTC))
        .version("9.9-test")
        .render(tmp);
  }

  @Test
  void eachRowHasTheTitleStatusDurationAndLinks() throws Exception {
    String html = render();
    assertThat(html).contains("<title>tfkit &lt;demo&gt;</title>").contains("<p>Walkthrough &amp; more</p>");
    // the first heading's text (inline HTML dropped as Jupyter would not show it), escaped; not a later heading
    assertThat(html).contains("<a href=\"html/a%20nb.html\">Export the model &amp; cut it if a &lt; b</a>")
        .doesNotContain("A later heading").doesNotContain("Some words first");
    assertThat(html).contains("<a href=\"html/b.html\">Serving</a>");
    assertThat(html).contains("<div class=\"file\">a nb</div>");
    // c has no notebook to read: its name stands in, without links
    assertThat(html).contains("<div class=\"title\">c</div>");
    // status: ok, or failed with the error's first line only
    assertThat(rowOf(html, "a nb")).contains("<span class=\"status-completed\">ok</span>").doesNotContain("failed");
    assertThat(rowOf(html, "b")).contains("<span class=\"status-failed\">failed</span>")
        .contains("cell 2 (In [2]) failed: java.lang.ArithmeticException: / by &lt;zero&gt;")
        .doesNotContain("at line 1").doesNotContain("second line");
    assertThat(rowOf(html, "c")).contains("kernel died");
    // durations
    assertThat(rowOf(html, "a nb")).contains(">4.2 s<");
    assertThat(rowOf(html, "b")).contains(">2 min 05 s<");
    // links to the executed notebook and the page, relative to the index
    assertThat(rowOf(html, "a nb")).contains("<a href=\"notebooks/a%20nb.ipynb\">a nb.ipynb</a>");
    assertThat(rowOf(html, "b")).contains("<a href=\"notebooks/b.ipynb\">b.ipynb</a>").contains("href=\"html/b.html\"");
    assertThat(rowOf(html, "c")).doesNotContain("href=");
    // the run
    assertThat(html).contains("Run 2026-01-02 03:04 Z with tfkit 9.9-test").contains("1 of 3 notebooks completed");
    assertThat(html).contains("<h2>SavedModels</h2><ul><li><code>models/face_detection/1</code></li></ul>");
  }

  @Test
  void theThumbnailIsTheFirstImageThatDecodesScaledDown() throws Exception {
    String html = render();
    Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
    assertThat(m.find()).isTrue();
    BufferedImage thumb = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
    assertThat(thumb.getWidth()).isEqualTo(NotebookIndex.THUMBNAIL_SIDE);
    assertThat(thumb.getHeight()).isEqualTo(NotebookIndex.THUMBNAIL_SIDE * 3 / 4);
    assertThat(thumb.getRGB(80, 60) & 0xffffff).isEqualTo(0xff0000); // the red one, not the broken or the blue one
    assertThat(m.find()).as("only notebook a has an image").isFalse();
    assertThat(rowOf(html, "a nb")).contains("<a href=\"html/a%20nb.html\"><img alt=\"first image of a nb\"");
  }

  @Test
  void thePageIsSelfContained() throws Exception {
    String html = render();
    assertThat(html).doesNotContain("http://").doesNotContain("https://").doesNotContain("<script")
        .doesNotContain("<link").doesNotContain("@import");
  }

  @Test
  void durationsAndFirstLines() {
    assertThat(NotebookIndex.duration(0.04)).isEqualTo("0.0 s");
    assertThat(NotebookIndex.duration(59.94)).isEqualTo("59.9 s");
    assertThat(NotebookIndex.duration(60)).isEqualTo("1 min 00 s");
    assertThat(NotebookIndex.firstLine("\n\n  \u001b[31mKeyError: 'x'\u001b[0m\nmore")).isEqualTo("KeyError: 'x'");
    assertThat(NotebookIndex.firstLine(null)).isEmpty();
  }

  /** The table row whose file name is {@code name}. */
  private static String rowOf(String html, String name) {
    for (String row : html.split("<tr>")) {
      if (row.contains("<div class=\"file\">" + name + "</div>")) return row;
    }
    throw new AssertionError("no row for " + name);
  }
}
