package dev.tfkit.notebook.document;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tfkit.notebook.TestNotebooks;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotebookHtmlTest {
  private static final Color MARK = new Color(220, 30, 40);
  @TempDir Path tmp;

  /** An executed notebook: an image output, an HTML table output, markdown, text and an error. */
  private static NotebookDocument executed() throws Exception {
    BufferedImage img = new BufferedImage(240, 160, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(MARK);
    g.fillRect(0, 0, 240, 160);
    g.dispose();
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(img, "png", png);
    NotebookDocument nb = TestNotebooks.java()
        .code("display(image)")
        .markdown("## Results\n\nThe **loss** fell:\n\n| epoch | loss |\n|---|---|\n| 1 | 0.5 |\n")
        .code("table")
        .code("1 / 0")
        .document();
    ArrayNode out0 = (ArrayNode) nb.cells().get(0).get("outputs");
    out0.add(NotebookOutputs.displayData(
        Map.of("image/png", Base64.getEncoder().encodeToString(png.toByteArray()), "text/plain", "<image>"), Map.of()));
    ArrayNode out2 = (ArrayNode) nb.cells().get(2).get("outputs");
    out2.add(NotebookOutputs.stream("stdout", "a < b & c\n"));
    out2.add(NotebookOutputs.executeResult(3,
        Map.of("text/html", "<table class=\"frame\"><tr><th>x</th></tr><tr><td>7</td></tr></table>",
            "text/plain", "x\n7"), Map.of()));
    ArrayNode out3 = (ArrayNode) nb.cells().get(3).get("outputs");
    out3.add(NotebookOutputs.error("java.lang.ArithmeticException", "/ by zero",
        List.of("\u001b[31mjava.lang.ArithmeticException: / by zero\u001b[0m")));
    return nb;
  }

  @Test
  void pageHasRenderedMarkdownEscapedTextHtmlTablesAndInlineImages() throws Exception {
    String html = NotebookHtml.render(executed(), "demo <1>");
    assertThat(html).contains("<title>demo &lt;1&gt;</title>");
    assertThat(html).contains("<h2>Results</h2>").contains("<strong>loss</strong>");
    assertThat(html).contains("<td>0.5</td>"); // markdown table rendered
    assertThat(html).contains("<table class=\"frame\">"); // text/html output kept as HTML
    assertThat(html).doesNotContain("x\n7"); // ... instead of its text/plain
    assertThat(html).contains("a &lt; b &amp; c");
    assertThat(html).contains("<img alt=\"output image\" src=\"data:image/png;base64,iVBOR");
    assertThat(html).contains("java.lang.ArithmeticException: / by zero").doesNotContain("\u001b[");
    assertThat(html).contains("display(image)");
    // self-contained: nothing is loaded from elsewhere
    assertThat(html).doesNotContain("http://").doesNotContain("https://").doesNotContain("<script");
  }

  @Test
  void headlessChromiumDrawsTheImage() throws Exception {
    String chromium = TestNotebooks.chromium().orElse(null);
    assumeTrue(chromium != null, "Debian chromium is not installed");
    Path page = tmp.resolve("page.html");
    Files.writeString(page, NotebookHtml.render(executed(), "demo"));
    Path shot = tmp.resolve("shot.png");
    Path profile = Files.createDirectory(tmp.resolve("profile"));
    var r = TestNotebooks.runCapturing(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + profile, "--hide-scrollbars", "--force-device-scale-factor=1",
        "--window-size=900,700", "--screenshot=" + shot, page.toUri().toString()));
    assertThat(shot).as("chromium wrote no screenshot: %s", r.output()).exists();
    BufferedImage img = ImageIO.read(shot.toFile());
    int marked = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        Color c = new Color(img.getRGB(x, y));
        if (Math.abs(c.getRed() - MARK.getRed()) < 12 && Math.abs(c.getGreen() - MARK.getGreen()) < 12
            && Math.abs(c.getBlue() - MARK.getBlue()) < 12) {
          marked++;
        }
      }
    }
    // the 240x160 image is drawn (allowing for edge scaling)
    assertThat(marked).isGreaterThan(240 * 160 * 9 / 10);
  }
}
