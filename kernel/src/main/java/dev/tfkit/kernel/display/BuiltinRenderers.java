package dev.tfkit.kernel.display;

import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import tech.tablesaw.api.Table;

/** The renderers every notebook has: images, XChart charts and Tablesaw tables. */
final class BuiltinRenderers {
  /** Tables show at most this many rows as HTML; the row count says how many there are. */
  static final int TABLE_ROWS = 20;

  private BuiltinRenderers() {}

  static void registerAll(DisplayRegistry r) {
    r.register(RenderedImage.class, BuiltinRenderers::image);
    TfkitRenderers.registerAll(r);
    // Charts and tables come with tfkit-lib; guard anyway so a bare classpath still works.
    try {
      r.register(Chart.class, BuiltinRenderers::chart);
    } catch (LinkageError absent) {
      // XChart not on the classpath.
    }
    try {
      r.register(Table.class, BuiltinRenderers::table);
    } catch (LinkageError absent) {
      // Tablesaw not on the classpath.
    }
  }

  static String png(RenderedImage image) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    if (!ImageIO.write(image, "png", bytes)) {
      throw new IOException("no PNG writer for this image type");
    }
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }

  private static void image(RenderedImage image, MimeBundle.Builder out) throws IOException {
    out.put("image/png", png(image));
    out.put(
        "text/plain",
        image.getClass().getSimpleName() + " " + image.getWidth() + "x" + image.getHeight());
  }

  private static void chart(Chart<?, ?> chart, MimeBundle.Builder out) throws IOException {
    byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    out.put("image/png", Base64.getEncoder().encodeToString(png));
    try {
      ByteArrayOutputStream svg = new ByteArrayOutputStream();
      VectorGraphicsEncoder.saveVectorGraphic(chart, svg, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
      out.put("image/svg+xml", svg.toString(StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException | LinkageError noSvg) {
      // The PNG is enough; SVG is a bonus when the vector encoder is available.
    }
    String title = chart.getTitle() == null || chart.getTitle().isEmpty() ? "" : " '" + chart.getTitle() + "'";
    out.put(
        "text/plain",
        chart.getClass().getSimpleName() + title + " " + chart.getWidth() + "x" + chart.getHeight());
  }

  private static void table(Table table, MimeBundle.Builder out) {
    int rows = table.rowCount();
    int shown = Math.min(rows, TABLE_ROWS);
    StringBuilder html = new StringBuilder();
    html.append("<div class=\"tfkit-table\"><table>");
    if (table.name() != null && !table.name().isEmpty()) {
      html.append("<caption>").append(Html.escape(table.name())).append("</caption>");
    }
    html.append("<thead><tr>");
    for (String name : table.columnNames()) {
      html.append("<th>").append(Html.escape(name)).append("</th>");
    }
    html.append("</tr></thead><tbody>");
    for (int i = 0; i < shown; i++) {
      html.append("<tr>");
      for (int c = 0; c < table.columnCount(); c++) {
        html.append("<td>").append(Html.escape(table.column(c).getString(i))).append("</td>");
      }
      html.append("</tr>");
    }
    html.append("</tbody></table>");
    html.append("<p>")
        .append(rows)
        .append(rows == 1 ? " row" : " rows")
        .append(" × ")
        .append(table.columnCount())
        .append(table.columnCount() == 1 ? " column" : " columns");
    if (shown < rows) html.append(" (first ").append(shown).append(" shown)");
    html.append("</p></div>");
    out.put("text/html", html.toString());
    String text = table.print(shown);
    if (shown < rows) text += "\n... " + rows + " rows (first " + shown + " shown)";
    out.put("text/plain", text);
  }
}
