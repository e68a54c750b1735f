package dev.tfkit.kernel;

import dev.tfkit.kernel.display.DisplayRegistry;
import dev.tfkit.kernel.display.MimeBundle;
import dev.tfkit.kernel.display.Renderer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What a cell can call (imported statically in every notebook): IJava's {@code display}, {@code
 * updateDisplay}, {@code render} and {@code eval}, plus {@code progress} bars and {@code
 * registerRenderer}.
 */
public final class CellFunctions {
  private CellFunctions() {}

  /** Shows {@code value} now, rendered like a cell's value; returns the display id. */
  public static String display(Object value) {
    return JavaEvaluator.current().display(value);
  }

  /** Shows {@code value} as only the given MIME types (e.g. {@code "text/html"}). */
  public static String display(Object value, String... mimeTypes) {
    return JavaEvaluator.current().display(value, mimeTypes);
  }

  /** Replaces what an earlier {@link #display} with this id shows. */
  public static void updateDisplay(String displayId, Object value) {
    JavaEvaluator.current().updateDisplay(displayId, value);
  }

  public static void updateDisplay(String displayId, Object value, String... mimeTypes) {
    JavaEvaluator.current().updateDisplay(displayId, value, mimeTypes);
  }

  /**
   * What {@code value} would show as: IJava's {@code DisplayData} (a cell's value or {@code display}
   * shows it as its MIME data), also giving tfkit's {@link MimeBundle} ({@link RenderedDisplay#bundle()}).
   */
  public static RenderedDisplay render(Object value) {
    return RenderedDisplay.of(JavaEvaluator.current().displays().render(value));
  }

  /** What {@code value} would show as, keeping only {@code mimeTypes} (IJava's {@code render(o, as...)}). */
  public static RenderedDisplay render(Object value, String... mimeTypes) {
    return RenderedDisplay.of(JavaEvaluator.current().renderAs(value, mimeTypes));
  }

  /** This notebook's renderers (what {@link #registerRenderer} adds to). */
  public static DisplayRegistry displayRegistry() {
    return JavaEvaluator.current().displays();
  }

  /**
   * Runs a cell magic on {@code body} and returns its value (IJava's {@code cellMagic}); every
   * cell magic a cell can start with works: {@code %%loadFromPOM} gives the jars it added, {@code
   * %%time} runs the body as a cell (magics and Java), prints the wall time and gives the body's
   * value, {@code %%html} and {@code %%markdown} show the body and give null.
   */
  @SuppressWarnings("unchecked")
  public static <T> T cellMagic(String name, List<String> args, String body) {
    try {
      return (T) JavaEvaluator.current().cellMagicFromCell(name, args, body);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("%%" + name + ": " + e.getMessage(), e);
    }
  }

  /** Evaluates Java code in this notebook and returns its value (IJava's {@code eval}). */
  public static Object eval(String code) {
    return JavaEvaluator.current().evalFromCell(code);
  }

  /**
   * Runs a line magic and returns its value (IJava's {@code lineMagic}); every line magic works:
   * {@code lineMagic("jars", List.of("lib/*.jar"))} is what {@code %jars lib/*.jar} used as a value
   * becomes; {@code lineMagic("loadFromPOM", List.of("pom.xml"))} gives the jars it added.
   */
  @SuppressWarnings("unchecked")
  public static <T> T lineMagic(String name, List<String> args) {
    try {
      return (T) JavaEvaluator.current().lineMagicFromCell(name, args);
    } catch (IOException e) {
      throw new UncheckedIOException("%" + name + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("%" + name + ": " + e.getMessage(), e);
    }
  }

  /** A progress bar shown now and updated in place; call {@code step()} as work is done. */
  public static ProgressBar progress(String label, long total) {
    return new ProgressBar(label, total, JavaEvaluator.current());
  }

  /** Registers how values of {@code type} are shown in this notebook. */
  public static <T> void registerRenderer(Class<T> type, Renderer<? super T> renderer) {
    JavaEvaluator.current().displays().register(type, renderer);
  }
}
