package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.kernel.display.DisplayRegistry;
import dev.tfkit.kernel.display.MimeBundle;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;

class DisplayRenderingTest {
  final DisplayRegistry registry = DisplayRegistry.withDefaults();

  @Test
  void xchartRendersAsPngAndSvg() throws Exception {
    XYChart chart = new XYChartBuilder().width(320).height(200).title("loss").build();
    chart.addSeries("train", new double[] {1, 2, 3}, new double[] {3, 2, 1});
    MimeBundle b = registry.render(chart);
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b.get("image/png"))));
    assertThat(img.getWidth()).isEqualTo(320);
    assertThat(img.getHeight()).isEqualTo(200);
    assertThat(b.get("image/svg+xml")).contains("<svg");
    assertThat(b.plainText()).isEqualTo("XYChart 'loss' 320x200");
  }

  @Test
  void bigTablesAreTruncatedWithTheRowCount() {
    int[] n = new int[100];
    for (int i = 0; i < n.length; i++) n[i] = i * 10;
    Table t = Table.create("big", IntColumn.create("v", n));
    MimeBundle b = registry.render(t);
    String html = b.get("text/html");
    assertThat(html).contains("<td>190</td>").doesNotContain("<td>200</td>");
    assertThat(html).contains("100 rows × 1 column (first 20 shown)");
    assertThat(b.plainText()).contains("100 rows (first 20 shown)");
  }

  @Test
  void mostSpecificRegisteredTypeWins() {
    DisplayRegistry r = DisplayRegistry.empty();
    r.register(CharSequence.class, (v, out) -> out.put("text/html", "<i>chars</i>"));
    r.register(StringBuilder.class, (v, out) -> out.put("text/html", "<b>builder</b>"));
    assertThat(r.render(new StringBuilder("x")).get("text/html")).isEqualTo("<b>builder</b>");
    assertThat(r.render(new StringBuffer("x")).get("text/html")).isEqualTo("<i>chars</i>");
  }

  @Test
  void rendererFailureWarnsAndKeepsText() {
    DisplayRegistry r = DisplayRegistry.empty();
    r.register(Integer.class, (v, out) -> {
      throw new IllegalStateException("nope");
    });
    List<String> warnings = new ArrayList<>();
    MimeBundle b = r.render(42, warnings::add);
    assertThat(b.plainText()).isEqualTo("42");
    assertThat(warnings).singleElement().asString().contains("java.lang.Integer").contains("nope");
  }

  @Test
  void hugeTextIsCutWithANote() {
    DisplayRegistry r = DisplayRegistry.empty().maxTextChars(100);
    MimeBundle b = r.render("x".repeat(250));
    assertThat(b.plainText()).startsWith("x".repeat(100) + "\n").contains("150 more characters not shown");
  }

  @Test
  void arraysShowTheirElements() {
    assertThat(registry.render(new int[] {1, 2, 3}).plainText()).isEqualTo("int[3] { 1, 2, 3 }");
    assertThat(registry.render(new String[] {"a"}).plainText()).isEqualTo("String[1] { \"a\" }");
  }
}
