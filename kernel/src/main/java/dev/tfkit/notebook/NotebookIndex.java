package dev.tfkit.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tfkit.io.AtomicFiles;
import dev.tfkit.io.BuildVersions;
import dev.tfkit.notebook.document.NotebookDocument;
import dev.tfkit.notebook.document.NotebookHtml;
import dev.tfkit.notebook.document.NotebookOutputs;
import dev.tfkit.vision.Images;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Code;
import org.commonmark.node.Heading;
import org.commonmark.node.Node;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;

/**
 * The index page of a batch of executed notebooks ({@code tfkit demo}, {@code tfkit run-notebook
 * --all}): per notebook its title (its first markdown heading), status (ok, or failed with the
 * error's first line), duration, links to the executed {@code .ipynb} and its HTML page, and a
 * thumbnail of its first image output; then the run's date and tfkit's version. The page is one
 * self-contained file: styles inline, thumbnails as data URIs, nothing fetched from anywhere.
 */
public final class NotebookIndex {
  /** Thumbnails are scaled down so that their longer side is at most this many pixels. */
  static final int THUMBNAIL_SIDE = 160;

  private static final List<String> IMAGE_TYPES = List.of("image/png", "image/jpeg", "image/gif");
  private static final Parser MARKDOWN = Parser.builder().build();
  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z", Locale.ROOT);
  private static final String CSS =
      "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;background:#fff;color:#222}"
          + "main{max-width:1100px;margin:0 auto;padding:16px}h1{margin-bottom:4px}"
          + ".meta,.file{color:#666;font-size:13px}"
          + "table{border-collapse:collapse;width:100%;margin:12px 0}"
          + "th,td{border-bottom:1px solid #e0e0e0;padding:8px;text-align:left;vertical-align:top}"
          + "th{background:#f5f5f5;font-weight:600}"
          + "td.thumb{width:" + THUMBNAIL_SIDE + "px}"
          + "td.thumb img{max-width:" + THUMBNAIL_SIDE + "px;max-height:" + THUMBNAIL_SIDE + "px;border:1px solid #ddd}"
          + "td.name{width:30%}td.seconds{text-align:right;white-space:nowrap}td.files{white-space:nowrap}"
          + ".title{font-weight:600}"
          + ".status-completed{color:#1b5e20;font-weight:600}.status-failed{color:#b71c1c;font-weight:600}"
          + ".error{color:#b71c1c;font-family:monospace;font-size:12px;margin-top:4px;overflow-wrap:anywhere}"
          + "code{font-size:13px}";

  private final String title;
  private final String intro;
  private final List<NotebookBatch.Entry> entries;
  private final Map<String, List<String>> lists;
  private final ZonedDateTime runAt;
  private final String version;

  private NotebookIndex(Builder b) {
    this.title = b.title;
    this.intro = b.intro;
    this.entries = List.copyOf(b.entries);
    this.lists = new LinkedHashMap<>(b.lists);
    this.runAt = b.runAt != null ? b.runAt : ZonedDateTime.now();
    this.version = b.version != null ? b.version : BuildVersions.tfkit();
  }

  /** An index titled {@code title} (the page's heading). */
  public static Builder builder(String title) {
    return new Builder(title);
  }

  /** Collects the rows and extras of an index page. */
  public static final class Builder {
    private final String title;
    private String intro;
    private final List<NotebookBatch.Entry> entries = new ArrayList<>();
    private final Map<String, List<String>> lists = new LinkedHashMap<>();
    private ZonedDateTime runAt;
    private String version;

    private Builder(String title) {
      this.title = Objects.requireNonNull(title, "title");
    }

    /** A sentence under the heading. */
    public Builder intro(String text) {
      this.intro = text;
      return this;
    }

    /** The notebooks, one row each, in this order. */
    public Builder entries(List<NotebookBatch.Entry> rows) {
      entries.addAll(rows);
      return this;
    }

    /** A section after the table: {@code heading} over a list of {@code items} (shown as code). */
    public Builder list(String heading, List<String> items) {
      lists.put(heading, List.copyOf(items));
      return this;
    }

    /** When the run started (default: now). */
    public Builder runAt(ZonedDateTime when) {
      this.runAt = when;
      return this;
    }

    /** The tfkit version shown (default: the one this build carries). */
    public Builder version(String v) {
      this.version = v;
      return this;
    }

    /** The page, with links relative to {@code indexDir} (the folder the page is written to). */
    public String render(Path indexDir) {
      return new NotebookIndex(this).render(indexDir);
    }

    /** Writes the page to {@code indexFile} (temp file, then renamed into place); returns it. */
    public Path write(Path indexFile) {
      Path file = indexFile.toAbsolutePath().normalize();
      return AtomicFiles.writeString(file, render(file.getParent()));
    }
  }

  private String render(Path indexDir) {
    long completed = entries.stream().filter(NotebookBatch.Entry::ok).count();
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>").append(esc(title)).append("</title><style>").append(CSS).append("</style></head>")
        .append("<body><main>\n<h1>").append(esc(title)).append("</h1>\n")
        .append("<p class=\"meta\">Run ").append(esc(DATE.format(runAt))).append(" with tfkit ").append(esc(version))
        .append(" &middot; ").append(completed).append(" of ").append(entries.size()).append(" notebooks completed.</p>\n");
    if (intro != null && !intro.isBlank()) sb.append("<p>").append(esc(intro)).append("</p>\n");
    sb.append("<table><thead><tr><th></th><th>Notebook</th><th>Status</th><th>Duration</th><th>Files</th></tr></thead>")
        .append("<tbody>\n");
    for (NotebookBatch.Entry e : entries) row(sb, indexDir, e);
    sb.append("</tbody></table>\n");
    lists.forEach((heading, items) -> {
      sb.append("<h2>").append(esc(heading)).append("</h2><ul>");
      for (String item : items) sb.append("<li><code>").append(esc(item)).append("</code></li>");
      sb.append("</ul>\n");
    });
    return sb.append("</main></body></html>\n").toString();
  }

  private static void row(StringBuilder sb, Path indexDir, NotebookBatch.Entry e) {
    NotebookDocument nb = read(e.output());
    String heading = nb == null ? null : firstHeading(nb);
    String htmlLink = e.html() == null ? null : link(indexDir, e.html());
    String nbLink = e.output() == null ? null : link(indexDir, e.output());

    sb.append("<tr><td class=\"thumb\">");
    String thumb = nb == null ? null : thumbnail(nb);
    if (thumb != null) {
      String img = "<img alt=\"first image of " + esc(e.name()) + "\" src=\"data:image/png;base64," + thumb + "\">";
      sb.append(htmlLink == null ? img : "<a href=\"" + htmlLink + "\">" + img + "</a>");
    }
    sb.append("</td><td class=\"name\"><div class=\"title\">");
    String shown = esc(heading != null ? heading : e.name());
    sb.append(htmlLink == null ? shown : "<a href=\"" + htmlLink + "\">" + shown + "</a>");
    sb.append("</div><div class=\"file\">").append(esc(e.name())).append("</div></td><td>");
    if (e.ok()) {
      sb.append("<span class=\"status-completed\">ok</span>");
    } else {
      sb.append("<span class=\"status-failed\">failed</span>");
      String first = firstLine(e.error());
      if (!first.isEmpty()) sb.append("<div class=\"error\">").append(esc(first)).append("</div>");
    }
    sb.append("</td><td class=\"seconds\">").append(esc(duration(e.seconds()))).append("</td><td class=\"files\">");
    List<String> files = new ArrayList<>();
    if (nbLink != null) files.add("<a href=\"" + nbLink + "\">" + esc(e.output().getFileName().toString()) + "</a>");
    if (htmlLink != null) files.add("<a href=\"" + htmlLink + "\">" + esc(e.html().getFileName().toString()) + "</a>");
    sb.append(String.join("<br>", files)).append("</td></tr>\n");
  }

  private static NotebookDocument read(Path notebook) {
    if (notebook == null) return null;
    try {
      return NotebookDocument.read(notebook);
    } catch (IOException | RuntimeException e) {
      return null; // a notebook that cannot be read still gets its row, by file name
    }
  }

  /** The text of the first markdown heading (ATX or setext), or null. */
  static String firstHeading(NotebookDocument nb) {
    for (JsonNode cell : nb.cells()) {
      if (!cell.path("cell_type").asText().equals("markdown")) continue;
      Node doc = MARKDOWN.parse(NotebookDocument.source(cell));
      StringBuilder text = new StringBuilder();
      boolean[] found = {false};
      doc.accept(new AbstractVisitor() {
        @Override
        public void visit(Heading heading) {
          if (found[0]) return;
          found[0] = true;
          heading.accept(new AbstractVisitor() {
            @Override
            public void visit(Text t) {
              text.append(t.getLiteral());
            }

            @Override
            public void visit(Code c) {
              text.append(c.getLiteral());
            }
          });
        }
      });
      if (found[0] && !text.toString().isBlank()) return text.toString().strip();
    }
    return null;
  }

  /** Base64 PNG of the first image output, scaled to fit {@link #THUMBNAIL_SIDE}; null when none decodes. */
  static String thumbnail(NotebookDocument nb) {
    for (JsonNode cell : nb.cells()) {
      for (JsonNode out : cell.path("outputs")) {
        String type = out.path("output_type").asText();
        if (!type.equals("display_data") && !type.equals("execute_result")) continue;
        for (String mime : IMAGE_TYPES) {
          JsonNode data = out.path("data").get(mime);
          if (data == null) continue;
          try {
            byte[] bytes = Base64.getMimeDecoder().decode(NotebookOutputs.text(data));
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
            if (img == null) continue;
            if (Math.max(img.getWidth(), img.getHeight()) > THUMBNAIL_SIDE) img = Images.fit(img, THUMBNAIL_SIDE);
            return Base64.getEncoder().encodeToString(Images.png(img));
          } catch (IllegalArgumentException | IOException | UncheckedIOException e) {
            // not an image after all: look further
          }
        }
      }
    }
    return null;
  }

  static String firstLine(String s) {
    if (s == null) return "";
    for (String line : s.split("\\R")) {
      if (!line.isBlank()) return NotebookHtml.stripAnsi(line).strip();
    }
    return "";
  }

  /** {@code 4.2 s}, or {@code 2 min 05 s} from a minute on. */
  static String duration(double seconds) {
    if (seconds < 60) return String.format(Locale.ROOT, "%.1f s", seconds);
    long s = Math.round(seconds);
    return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
  }

  /** The path of {@code file} relative to {@code dir}, as a URL path (each segment percent-encoded), HTML-escaped. */
  static String link(Path dir, Path file) {
    Path rel = dir.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize());
    List<String> segments = new ArrayList<>();
    for (Path p : rel) segments.add(URLEncoder.encode(p.toString(), StandardCharsets.UTF_8).replace("+", "%20"));
    return esc(String.join("/", segments));
  }

  private static String esc(String s) {
    return NotebookHtml.escape(s);
  }
}
