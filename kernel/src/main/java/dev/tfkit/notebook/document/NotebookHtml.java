package dev.tfkit.notebook.document;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tfkit.kernel.display.Html;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * Renders a notebook as one self-contained HTML page (code, rendered markdown, text, images as data
 * URIs, HTML tables) to look at without Jupyter: nothing is fetched from anywhere.
 */
public final class NotebookHtml {
  /** Which representation of a MIME bundle is shown, best first (nbconvert's order). */
  static final List<String> MIME_PRIORITY =
      List.of("text/html", "image/svg+xml", "image/png", "image/jpeg", "image/gif", "text/markdown",
          "application/json", "text/plain");

  private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[A-Za-z]");
  private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create());
  private static final Parser MARKDOWN = Parser.builder().extensions(EXTENSIONS).build();
  private static final HtmlRenderer HTML = HtmlRenderer.builder().extensions(EXTENSIONS).build();

  static final String CSS =
      "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;background:#fff;color:#222}"
          + "main{max-width:1100px;margin:0 auto;padding:16px}"
          + ".cell{display:flex;margin:6px 0}.prompt{flex:0 0 70px;color:#303f9f;font-family:monospace;"
          + "font-size:12px;padding-top:6px;text-align:right;padding-right:8px}"
          + ".body{flex:1;min-width:0}"
          + "pre{margin:0;padding:6px 8px;overflow-x:auto;font-size:13px;line-height:1.35}"
          + ".source{background:#f5f5f5;border:1px solid #e0e0e0;border-radius:3px}"
          + ".output{margin:4px 0}.stderr{background:#fdecea}.error{background:#fdecea;color:#b71c1c}"
          + ".output img{max-width:100%}.markdown{padding:0 8px}"
          + "table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}"
          + "th{background:#f5f5f5}";

  private NotebookHtml() {}

  /** The page for {@code notebook}, titled {@code title}. */
  public static String render(NotebookDocument notebook, String title) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>").append(escape(title)).append("</title><style>").append(CSS)
        .append("</style></head><body><main>\n");
    for (JsonNode cell : notebook.cells()) {
      switch (cell.path("cell_type").asText()) {
        case "markdown" -> markdownCell(sb, cell);
        case "code" -> codeCell(sb, cell);
        default -> sb.append("<div class=\"cell raw\"><div class=\"prompt\"></div><div class=\"body\"><pre>")
            .append(escape(NotebookDocument.source(cell))).append("</pre></div></div>\n");
      }
    }
    return sb.append("</main></body></html>\n").toString();
  }

  private static void markdownCell(StringBuilder sb, JsonNode cell) {
    String md = NotebookDocument.source(cell);
    // Attachments (pasted images) become data URIs so the page stays self-contained.
    Iterator<Map.Entry<String, JsonNode>> att = cell.path("attachments").fields();
    while (att.hasNext()) {
      Map.Entry<String, JsonNode> a = att.next();
      Iterator<Map.Entry<String, JsonNode>> bundle = a.getValue().fields();
      if (bundle.hasNext()) {
        Map.Entry<String, JsonNode> first = bundle.next();
        md = md.replace("attachment:" + a.getKey(),
            "data:" + first.getKey() + ";base64," + NotebookOutputs.text(first.getValue()).replaceAll("\\s", ""));
      }
    }
    sb.append("<div class=\"cell markdown\"><div class=\"prompt\"></div><div class=\"body markdown\">")
        .append(HTML.render(MARKDOWN.parse(md))).append("</div></div>\n");
  }

  private static void codeCell(StringBuilder sb, JsonNode cell) {
    JsonNode count = cell.get("execution_count");
    String prompt = count == null || count.isNull() ? "In [ ]:" : "In [" + count.asInt() + "]:";
    sb.append("<div class=\"cell code\"><div class=\"prompt\">").append(prompt)
        .append("</div><div class=\"body\"><pre class=\"source\"><code>")
        .append(escape(NotebookDocument.source(cell))).append("</code></pre>");
    for (JsonNode out : cell.path("outputs")) {
      sb.append("<div class=\"output\">").append(output(out)).append("</div>");
    }
    sb.append("</div></div>\n");
  }

  /** The HTML of one output. */
  static String output(JsonNode out) {
    switch (out.path("output_type").asText()) {
      case "stream":
        return "<pre class=\"stream " + escape(out.path("name").asText()) + "\">"
            + escape(stripAnsi(NotebookOutputs.text(out.get("text")))) + "</pre>";
      case "error": {
        StringBuilder tb = new StringBuilder();
        for (JsonNode line : out.path("traceback")) tb.append(stripAnsi(line.asText())).append('\n');
        if (tb.length() == 0) tb.append(out.path("ename").asText()).append(": ").append(out.path("evalue").asText());
        return "<pre class=\"error\">" + escape(tb.toString()) + "</pre>";
      }
      case "display_data":
      case "execute_result": {
        JsonNode data = out.path("data");
        for (String mime : MIME_PRIORITY) {
          if (!data.has(mime)) continue;
          String v = mime.equals("application/json") ? data.get(mime).toPrettyString()
              : NotebookOutputs.text(data.get(mime));
          return switch (mime) {
            case "text/html", "image/svg+xml" -> v;
            case "image/png", "image/jpeg", "image/gif" -> "<img alt=\"output image\" src=\"data:" + mime
                + ";base64," + v.replaceAll("\\s", "") + "\"" + size(out.path("metadata").path(mime)) + ">";
            case "text/markdown" -> HTML.render(MARKDOWN.parse(v));
            default -> "<pre>" + escape(stripAnsi(v)) + "</pre>";
          };
        }
        return "";
      }
      default:
        return "";
    }
  }

  private static String size(JsonNode meta) {
    StringBuilder sb = new StringBuilder();
    if (meta.path("width").isNumber()) sb.append(" width=\"").append(meta.get("width").asInt()).append('"');
    if (meta.path("height").isNumber()) sb.append(" height=\"").append(meta.get("height").asInt()).append('"');
    return sb.toString();
  }

  /** Text with terminal colour codes removed (Jupyter tracebacks carry them). */
  public static String stripAnsi(String s) {
    return ANSI.matcher(s).replaceAll("");
  }

  /** Text escaped for HTML element content and attribute values (null as empty). */
  public static String escape(String s) {
    return Html.escape(s);
  }
}
