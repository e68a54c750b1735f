package dev.tfkit.demo;

import dev.tfkit.config.ServedModel;
import dev.tfkit.config.ServingConfig;
import dev.tfkit.io.Ports;
import dev.tfkit.notebook.NotebookBatch;
import dev.tfkit.notebook.NotebookEngines;
import dev.tfkit.notebook.NotebookExecutionException;
import dev.tfkit.notebook.NotebookIndex;
import dev.tfkit.notebook.NotebookRunner;
import dev.tfkit.notebook.parameters.NotebookParameters;
import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.zoo.FaceModels;
import dev.tfkit.zoo.Fixtures;
import dev.tfkit.zoo.NpmPackages;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The main job ({@code ./tfkit demo}): fetch the model packages, run the five walkthrough
 * notebooks headless — 01 and 02 export the models, then an embedded server serves them for 03 to
 * 05 — and write the executed notebooks, an HTML page per notebook and an index.
 *
 * <p>Layout under the output folder: {@code models/<name>/<version>/} (the SavedModels and {@code
 * models.config}), {@code gallery/} (face crops), {@code notebooks/*.ipynb}, {@code html/*.html},
 * {@code index.html}.
 */
public final class Demo {
  /** The models the server serves for notebooks 03–05. */
  public static final List<String> MODELS = List.of("face_detection", "face_encoder", "latent_search_model", "stylizer");

  /** The npm packages (name, version) whose models and photos the walkthrough uses. */
  public static final List<List<String>> MODEL_PACKAGES =
      List.of(List.of("@vladmandic/human", "3.3.6"), List.of("@vladmandic/face-api", "1.7.15"));

  /** The walkthrough notebooks, in the order they run. */
  public static final List<String> NOTEBOOKS =
      List.of("01-export-subgraph", "02-export-with-assets", "03-serving", "04-client", "05-portrait-check");

  /** One notebook's outcome. */
  public record Step(String notebook, boolean ok, double seconds, String error) {}

  private final Path out;
  private final Path notebooks;
  private final PrintStream log;
  private final Duration cellTimeout;
  private final String engineName;
  private final NotebookRunner.EngineFactory engine;
  private final FaceModels.Stylizer stylizer;

  /**
   * A demo writing under {@code out}, reading notebooks from {@code notebooks}, reporting progress
   * to {@code log}; a cell running longer than {@code cellTimeout} fails its notebook. The notebooks
   * run in this JVM (the in-process engine).
   */
  public Demo(Path out, Path notebooks, PrintStream log, Duration cellTimeout) {
    this(out, notebooks, log, cellTimeout, "inprocess", NotebookEngines.named("inprocess", null, Duration.ofSeconds(60)));
  }

  /**
   * The same with the notebooks run by {@code engine} (e.g. {@code NotebookEngines.named("jupyter",
   * "java", ...)}: the installed tfkit kernel, started by its kernelspec); {@code engineName} is
   * recorded in each executed notebook.
   */
  public Demo(Path out, Path notebooks, PrintStream log, Duration cellTimeout, String engineName,
      NotebookRunner.EngineFactory engine) {
    this(out, notebooks, log, cellTimeout, engineName, engine, FaceModels.Stylizer.WHITEBOX);
  }

  private Demo(Path out, Path notebooks, PrintStream log, Duration cellTimeout, String engineName,
      NotebookRunner.EngineFactory engine, FaceModels.Stylizer stylizer) {
    this.stylizer = stylizer;
    this.out = out.toAbsolutePath().normalize();
    this.notebooks = notebooks.toAbsolutePath().normalize();
    this.log = log;
    this.cellTimeout = cellTimeout;
    this.engineName = engineName;
    this.engine = engine;
  }

  /**
   * The same demo with {@code stylizer} asked for (default {@link FaceModels.Stylizer#WHITEBOX};
   * where its package cannot be fetched the demo says so in one line and uses the filter).
   */
  public Demo stylizer(FaceModels.Stylizer stylizer) {
    return new Demo(out, notebooks, log, cellTimeout, engineName, engine, Objects.requireNonNull(stylizer, "stylizer"));
  }

  /** The notebooks folder of the repository. */
  public static Path defaultNotebooks() {
    return Fixtures.repoRoot().resolve("notebooks");
  }

  /** Runs everything; returns each notebook's outcome (all are attempted in order until one fails). */
  public List<Step> run() throws IOException {
    long t0 = System.nanoTime();
    ZonedDateTime runAt = ZonedDateTime.now();
    Files.createDirectories(out);
    log.println("demo: output folder " + out);
    log.println("demo: fetching model packages (npm pack, cached) ...");
    for (List<String> p : MODEL_PACKAGES) NpmPackages.fetch(p.get(0), p.get(1));
    // Asked for White-box Cartoonization: its package is fetched here, and either its license
    // line or the one line saying why the filter runs instead is printed before any notebook runs.
    FaceModels.StylizerChoice choice = FaceModels.chooseStylizer(stylizer);
    log.println("demo: " + (choice.fellBack() ? choice.note() : "stylizer: " + choice.note()));

    List<Step> steps = new ArrayList<>();
    NotebookParameters base = NotebookParameters.none().with("work_dir", out.toString());
    if (!runNotebook("01-export-subgraph", base.with("stylizer", choice.stylizer().id()), steps) || !runNotebook("02-export-with-assets", base, steps)) {
      return finish(steps, t0, runAt);
    }

    int[] ports = Ports.freeLoopbackPorts(4);
    int grpc = ports[0];
    int rest = ports[1];
    ServingConfig config = ServingConfig.of(MODELS.stream().map(m -> ServedModel.of(m, out.resolve("models").resolve(m))).toList());
    log.println("demo: starting the embedded server (gRPC " + grpc + ", REST " + rest + ") for " + MODELS + " ...");
    try (EmbeddedServer server =
        EmbeddedServer.builder().modelConfig(config.toProto()).grpcPort(grpc).restPort(rest).start()) {
      NotebookParameters serving = base.with("grpc_port", String.valueOf(ports[2])).with("rest_port", String.valueOf(ports[3]));
      NotebookParameters client =
          NotebookParameters.none()
              .with("grpc_target", "localhost:" + grpc)
              .with("rest_target", "localhost:" + rest);
      NotebookParameters portrait = base.with("grpc_target", "localhost:" + grpc).with("stylizer", choice.stylizer().id());
      if (runNotebook("03-serving", serving, steps) && runNotebook("04-client", client, steps)) {
        runNotebook("05-portrait-check", portrait, steps);
      }
      log.println("demo: stopping the embedded server");
    }
    return finish(steps, t0, runAt);
  }

  private List<Step> finish(List<Step> steps, long t0, ZonedDateTime runAt) {
    writeIndex(steps, runAt);
    double secs = (System.nanoTime() - t0) / 1e9;
    long ok = steps.stream().filter(Step::ok).count();
    log.printf(Locale.ROOT, "demo: %d of %d notebooks ran in %.0f s%n", ok, NOTEBOOKS.size(), secs);
    log.println("demo: executed notebooks in " + out.resolve("notebooks"));
    log.println("demo: HTML pages in " + out.resolve("html") + ", index " + out.resolve("index.html"));
    log.println("demo: SavedModels in " + out.resolve("models"));
    return steps;
  }

  private boolean runNotebook(String name, NotebookParameters params, List<Step> steps) throws IOException {
    Path in = notebooks.resolve(name + ".ipynb");
    if (!Files.isRegularFile(in)) throw new IllegalArgumentException("notebook not found: " + in);
    log.println("demo: running " + name + " (" + engineName + ") ...");
    long t = System.nanoTime();
    try {
      NotebookRunner.builder(in)
          .parameters(params)
          .engine(engineName, engine)
          .executionTimeout(cellTimeout)
          .progress(log)
          .output(out.resolve("notebooks").resolve(name + ".ipynb"))
          .html(out.resolve("html").resolve(name + ".html"))
          .build()
          .run();
      steps.add(new Step(name, true, (System.nanoTime() - t) / 1e9, null));
      return true;
    } catch (NotebookExecutionException e) {
      steps.add(new Step(name, false, (System.nanoTime() - t) / 1e9, e.getMessage()));
      log.println("demo: " + name + " failed: " + e.getMessage());
      return false;
    }
  }

  private void writeIndex(List<Step> steps, ZonedDateTime runAt) {
    List<NotebookBatch.Entry> entries = new ArrayList<>();
    for (Step s : steps) {
      Path nb = out.resolve("notebooks").resolve(s.notebook() + ".ipynb");
      Path html = out.resolve("html").resolve(s.notebook() + ".html");
      entries.add(new NotebookBatch.Entry(s.notebook(), Files.isRegularFile(nb) ? nb : null,
          Files.isRegularFile(html) ? html : null, s.ok(), s.seconds(), s.error()));
    }
    NotebookIndex.Builder index = NotebookIndex.builder("tfkit demo")
        .intro("The walkthrough notebooks, executed headless: 01 and 02 export the models, then tfkit's"
            + " embedded server serves them for 03 to 05.")
        .entries(entries)
        .runAt(runAt);
    List<String> notRun = NOTEBOOKS.stream().filter(n -> steps.stream().noneMatch(s -> s.notebook().equals(n))).toList();
    if (!notRun.isEmpty()) index.list("Not run (an earlier notebook failed)", notRun);
    index.list("SavedModels", MODELS.stream().map(m -> "models/" + m + "/1").toList());
    index.write(out.resolve("index.html"));
  }
}
