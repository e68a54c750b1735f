package dev.tfkit.notebook;

import java.time.Duration;
import java.util.Locale;

/** The engines {@code run-notebook} can use, by name: {@code inprocess} and {@code jupyter}. */
public final class NotebookEngines {
  private NotebookEngines() {}

  /**
   * The factory for engine {@code name}; {@code kernel} is the kernelspec for {@code jupyter}
   * (null: the one the notebook names), {@code startTimeout} how long a kernel may take to answer.
   */
  public static NotebookRunner.EngineFactory named(String name, String kernel, Duration startTimeout) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "inprocess" -> (nb, cwd) -> InProcessEngine.start(cwd);
      case "jupyter" -> (nb, cwd) -> {
        String k = kernel != null ? kernel : nb.kernelName();
        if (k == null) {
          throw new IllegalArgumentException("the notebook names no kernelspec in metadata.kernelspec.name; "
              + "pass --kernel NAME (installed: " + KernelSpec.installed() + ")");
        }
        return JupyterEngine.start(KernelSpec.find(k), cwd, startTimeout);
      };
      default -> throw new IllegalArgumentException(
          "unknown engine '" + name + "' (choose inprocess or jupyter)");
    };
  }
}
