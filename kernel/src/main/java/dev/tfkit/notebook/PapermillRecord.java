package dev.tfkit.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.io.BuildVersions;
import dev.tfkit.notebook.document.NotebookDocument;
import dev.tfkit.notebook.document.NotebookHtml;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * papermill's record of a run, kept in the notebook so tools that read papermill's output read
 * tfkit's: {@code metadata.papermill} at notebook and cell level (parameters, paths, version,
 * start/end times, durations, status, exception — papermill's fields, order and value formats),
 * tfkit's own {@code metadata.tfkit} (engine, version), and the red error banner and anchor cells
 * of a failed run.
 */
final class PapermillRecord {
  /** Tag of the error banner and anchor cells of a failed notebook (papermill's, so it removes them too). */
  static final String ERROR_TAG = "papermill-error-cell-tag";
  /** The error tag tfkit used before; such cells from an earlier run are removed as well. */
  static final String LEGACY_ERROR_TAG = "tfkit-error-cell-tag";
  /** Key of the run metadata, notebook and cell level: papermill's own ({@code metadata.papermill}). */
  static final String METADATA_KEY = "papermill";
  /** Key of the tfkit-only notebook metadata: {@code engine} and tfkit's {@code version}. */
  static final String TFKIT_METADATA_KEY = "tfkit";
  /** papermill's timestamps: UTC without an offset, microseconds (Python's {@code utcnow().isoformat()}). */
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private PapermillRecord() {}

  /** Whether a cell with these tags is an error banner or anchor of an earlier run. */
  static boolean isErrorCell(List<String> tags) {
    return tags.contains(ERROR_TAG) || tags.contains(LEGACY_ERROR_TAG);
  }

  /** A cell's record before the run: pending, no times. */
  static void pendingCell(ObjectNode cell) {
    if (!cell.path("metadata").isObject()) cell.putObject("metadata");
    ((ObjectNode) cell.get("metadata")).remove(TFKIT_METADATA_KEY); // where an older tfkit kept it
    ObjectNode m = ((ObjectNode) cell.get("metadata")).putObject(METADATA_KEY);
    m.putNull("start_time");
    m.putNull("end_time");
    m.putNull("duration");
    m.put("status", "pending");
    m.putNull("exception");
  }

  /**
   * The notebook's record before the run, in papermill's order; default_parameters and
   * environment_variables are empty as papermill leaves them.
   */
  static void pendingNotebook(
      NotebookDocument nb, Map<String, JsonNode> parameters, Path input, Path output, String engineName) {
    ObjectNode meta = nb.metadata().putObject(METADATA_KEY);
    meta.putObject("default_parameters");
    ObjectNode p = meta.putObject("parameters");
    parameters.forEach(p::set);
    meta.putObject("environment_variables");
    meta.put("version", BuildVersions.tfkit());
    meta.put("input_path", input == null ? null : input.toString());
    meta.put("output_path", output == null ? null : output.toString());
    ObjectNode tfkit = nb.metadata().putObject(TFKIT_METADATA_KEY);
    tfkit.put("engine", engineName);
    tfkit.put("version", BuildVersions.tfkit());
    meta.putNull("start_time");
    meta.putNull("end_time");
    meta.putNull("duration");
    meta.putNull("exception");
  }

  static void notebookStarted(NotebookDocument nb, Instant started) {
    ((ObjectNode) nb.metadata().get(METADATA_KEY)).put("start_time", timestamp(started));
  }

  static void cellStarted(ObjectNode cell, Instant t0) {
    ObjectNode cm = (ObjectNode) cell.get("metadata").get(METADATA_KEY);
    cm.put("start_time", timestamp(t0));
    cm.put("status", "running");
    cm.put("exception", false);
  }

  static void cellEnded(ObjectNode cell, Instant t0, Instant t1, boolean failed) {
    ObjectNode cm = (ObjectNode) cell.get("metadata").get(METADATA_KEY);
    cm.put("end_time", timestamp(t1));
    cm.put("duration", seconds(t0, t1));
    cm.put("status", failed ? "failed" : "completed");
    if (failed) cm.put("exception", true);
  }

  /** The end of the run (also written at each autosave): as papermill, exception true or null (not false). */
  static void notebookEnded(NotebookDocument nb, Instant started, boolean exception) {
    ObjectNode meta = (ObjectNode) nb.metadata().get(METADATA_KEY);
    Instant end = Instant.now();
    meta.put("end_time", timestamp(end));
    meta.put("duration", seconds(started, end));
    if (exception) meta.put("exception", true);
    else meta.putNull("exception");
  }

  /** Papermill's banner: a red line at the top linking to an anchor right before the failing cell. */
  static void addErrorBanner(NotebookDocument nb, int cellIndex, String prompt, String summary) {
    ArrayNode cells = nb.cells();
    String anchor = "<span id=\"papermill-error-cell\" style=\"color:red; font-family:Helvetica Neue, Helvetica, "
        + "Arial, sans-serif; font-size:2em;\">Execution using tfkit run-notebook encountered an exception "
        + "here and stopped:</span>";
    cells.insert(cellIndex, nb.newMarkdownCell(anchor, ERROR_TAG));
    String banner = "<span style=\"color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; "
        + "font-size:2em;\">An Exception was encountered at '<a href=\"#papermill-error-cell\">cell "
        + (cellIndex + 1) + prompt + "</a>': " + NotebookHtml.escape(summary) + "</span>";
    cells.insert(0, nb.newMarkdownCell(banner, ERROR_TAG));
  }

  static String timestamp(Instant t) {
    return TIMESTAMP.format(t);
  }

  static double seconds(Instant a, Instant b) {
    return Duration.between(a, b).toNanos() / 1e9;
  }
}
