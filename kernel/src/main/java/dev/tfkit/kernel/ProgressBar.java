package dev.tfkit.kernel;

import dev.tfkit.kernel.display.Html;
import dev.tfkit.kernel.display.MimeBundle;

/**
 * A progress bar in a notebook cell, updated in place through display updates (so a long export
 * or gallery encoding shows one moving bar, not a page of lines). Updates are throttled to a few
 * per second; {@link #done()} always shows the final state.
 */
public final class ProgressBar implements AutoCloseable {
  private static final long MIN_UPDATE_NANOS = 100_000_000L;

  private final String label;
  private final long total;
  private final JavaEvaluator evaluator;
  private final String displayId;
  private final long startNanos = System.nanoTime();
  private long value;
  private String message = "";
  private long lastUpdate;
  private boolean done;

  ProgressBar(String label, long total, JavaEvaluator evaluator) {
    if (total < 0) throw new IllegalArgumentException("progress total must be >= 0, not " + total);
    this.label = label == null ? "" : label;
    this.total = total;
    this.evaluator = evaluator;
    this.displayId = evaluator.display(bundle());
    this.lastUpdate = System.nanoTime();
  }

  /** Advances by one. */
  public ProgressBar step() {
    return step(1);
  }

  public synchronized ProgressBar step(long n) {
    return set(value + n);
  }

  /** Sets the absolute progress (clamped to 0..total). */
  public synchronized ProgressBar set(long v) {
    value = Math.max(0, total > 0 ? Math.min(v, total) : v);
    maybeUpdate(false);
    return this;
  }

  /** A short text shown after the bar, e.g. the item being worked on. */
  public synchronized ProgressBar message(String text) {
    message = text == null ? "" : text;
    maybeUpdate(false);
    return this;
  }

  public synchronized long value() {
    return value;
  }

  public String displayId() {
    return displayId;
  }

  /** Shows the bar complete (or where it stopped) and stops updating. */
  public synchronized void done() {
    if (done) return;
    maybeUpdate(true);
    done = true;
  }

  @Override
  public void close() {
    done();
  }

  private void maybeUpdate(boolean force) {
    if (done) return;
    long now = System.nanoTime();
    if (!force && now - lastUpdate < MIN_UPDATE_NANOS && value != total) return;
    lastUpdate = now;
    evaluator.updateDisplay(displayId, bundle());
  }

  private MimeBundle bundle() {
    double frac = total > 0 ? (double) value / total : 0;
    int pct = (int) Math.round(frac * 100);
    double secs = (System.nanoTime() - startNanos) / 1e9;
    String count = total > 0 ? value + "/" + total : String.valueOf(value);
    int filled = (int) Math.round(frac * 30);
    String text = (label.isEmpty() ? "" : label + " ") + "[" + "#".repeat(filled) + "-".repeat(30 - filled) + "] "
        + pct + "% " + count + String.format(" %.1fs", secs) + (message.isEmpty() ? "" : " " + message);
    String html = "<div class=\"tfkit-progress\"><span>" + Html.escape(label) + "</span> "
        + "<progress value=\"" + value + "\" max=\"" + Math.max(total, 1) + "\" style=\"width:20em\"></progress> "
        + "<span>" + pct + "% " + count + String.format(" %.1fs", secs) + "</span>"
        + (message.isEmpty() ? "" : " <span>" + Html.escape(message) + "</span>") + "</div>";
    return MimeBundle.builder().put("text/plain", text).put("text/html", html).build();
  }
}
