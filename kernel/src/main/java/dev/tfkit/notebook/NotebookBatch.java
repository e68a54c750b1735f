package dev.tfkit.notebook;

import dev.tfkit.notebook.document.NotebookDocument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Runs every notebook of a folder in name order ({@code run-notebook --all}): each gets its output
 * notebook and HTML page in the output folder, and {@code index.html} ({@link NotebookIndex}) links
 * them with their titles, status, times and thumbnails.
 * A failing notebook does not stop the others.
 */
public final class NotebookBatch {

  /** How one notebook of the batch went. */
  public record Entry(String name, Path output, Path html, boolean ok, double seconds, String error) {}

  private NotebookBatch() {}

  /** The notebooks ({@code *.ipynb}, not hidden) directly in {@code dir}, in name order. */
  public static List<Path> notebooks(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("notebook folder " + dir + " does not exist");
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".ipynb"))
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    }
  }

  /**
   * Runs the notebooks of {@code dir} into {@code outDir}; {@code configure} sets what every run
   * shares (engine, parameters, timeout, progress).
   */
  public static List<Entry> run(Path dir, Path outDir, UnaryOperator<NotebookRunner.Builder> configure)
      throws IOException {
    List<Path> notebooks = notebooks(dir);
    if (notebooks.isEmpty()) {
      throw new IllegalArgumentException("notebook folder " + dir + " holds no .ipynb files");
    }
    if (dir.toAbsolutePath().normalize().equals(outDir.toAbsolutePath().normalize())) {
      throw new IllegalArgumentException("output folder " + outDir + " must differ from the notebook folder");
    }
    Files.createDirectories(outDir);
    ZonedDateTime runAt = ZonedDateTime.now();
    List<Entry> entries = new ArrayList<>();
    for (Path nb : notebooks) {
      String name = nb.getFileName().toString();
      String stem = name.substring(0, name.length() - ".ipynb".length());
      Path out = outDir.resolve(name);
      Path html = outDir.resolve(stem + ".html");
      Instant t0 = Instant.now();
      String error = null;
      try {
        configure.apply(NotebookRunner.builder(nb)).output(out).html(html).build().run();
      } catch (RuntimeException | IOException e) {
        // one notebook's failure, whatever it is, is its row in the index; the others still run
        error = e.getMessage() == null ? e.toString() : e.getMessage();
      }
      double seconds = Duration.between(t0, Instant.now()).toNanos() / 1e9;
      entries.add(new Entry(name, Files.exists(out) ? out : null, Files.exists(html) ? html : null,
          error == null, seconds, error));
    }
    NotebookDocument.writeAtomically(outDir.resolve("index.html"), index(dir, entries, outDir, runAt));
    return entries;
  }

  /** The index page of a batch run over {@code dir}: see {@link NotebookIndex}. */
  static String index(Path dir, List<Entry> entries, Path outDir, ZonedDateTime runAt) {
    return NotebookIndex.builder("Notebooks of " + dir.toAbsolutePath().normalize().getFileName())
        .intro("Executed headless with tfkit run-notebook --all, in name order.")
        .entries(entries)
        .runAt(runAt)
        .render(outDir);
  }
}
