package dev.tfkit.notebook;

import dev.tfkit.kernel.spec.KernelSpec;
import dev.tfkit.notebook.document.NotebookDocument;
import dev.tfkit.notebook.engines.InProcessEngine;
import dev.tfkit.notebook.engines.JupyterEngine;
import dev.tfkit.notebook.engines.NotebookEngine;
import java.io.IOException;
import java.nio.file.Path;
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
      case "jupyter" -> new NotebookRunner.EngineFactory() {
        @Override
        public NotebookEngine start(NotebookDocument nb, Path cwd) throws IOException {
          return JupyterEngine.start(spec(nb), cwd, startTimeout);
        }

        @Override
        public String language(NotebookDocument nb) throws IOException {
          String lang = spec(nb).language();
          return lang.isEmpty() ? nb.language() : lang;
        }

        private KernelSpec spec(NotebookDocument nb) throws IOException {
          String k = kernel != null ? kernel : nb.kernelName();
          if (k == null) {
            throw new IllegalArgumentException("the notebook names no kernelspec in metadata.kernelspec.name; "
                + "pass --kernel NAME (installed: " + KernelSpec.installed() + ")");
          }
          return KernelSpec.find(k);
        }
      };
      default -> throw new IllegalArgumentException(
          "unknown engine '" + name + "' (choose inprocess or jupyter)");
    };
  }
}
