package dev.tfkit.cli;

import dev.tfkit.config.BatchingParameters;
import dev.tfkit.docker.DockerEngine;
import dev.tfkit.docker.DockerServing;
import dev.tfkit.docker.RunningServing;
import dev.tfkit.config.ServedModel;
import dev.tfkit.config.ServingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tfkit docker-run}: serves models with TensorFlow Serving in Docker (writes models.config,
 * runs {@code docker run ...}, waits until the models are AVAILABLE, streams the log until Ctrl-C).
 */
@Command(
    name = "docker-run",
    mixinStandardHelpOptions = true,
    description = {
      "Serve SavedModels with TensorFlow Serving in Docker: write models.config, run the container,"
          + " wait until every model is AVAILABLE, stream its log; Ctrl-C stops it.",
      "With --model, the config is written to --config FILE (default: a temp folder); without"
          + " --model, --config FILE is read (base paths on this machine)."
    })
final class DockerRunCommand implements Callable<Integer> {

  @Option(names = "--model", paramLabel = "NAME=PATH",
      description = "A model to serve: its name and the folder holding its version folders (repeatable).")
  List<String> models = new ArrayList<>();

  @Option(names = "--config", paramLabel = "FILE",
      description = "models.config to write (with --model) or to read (without --model).")
  Path config;

  @Option(names = "--batching", paramLabel = "FILE",
      description = "A batching parameters file (TF Serving text format) to enable batching with.")
  Path batching;

  @Option(names = "--gpu", description = "Use tensorflow/serving:latest-gpu and --gpus all.")
  boolean gpu;

  @Option(names = "--image", paramLabel = "IMAGE", description = "Image to run instead of tensorflow/serving.")
  String image;

  @Option(names = "--grpc-port", defaultValue = "8500", description = "Host gRPC port (default ${DEFAULT-VALUE}).")
  int grpcPort;

  @Option(names = "--rest-port", defaultValue = "8501", description = "Host REST port (default ${DEFAULT-VALUE}).")
  int restPort;

  @Option(names = "--name", paramLabel = "CONTAINER", description = "Container name (default tfkit-serving-<random>).")
  String containerName;

  @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
      description = "How long to wait for the models to become AVAILABLE (default ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Option(names = "--dry-run", description = "Write the config and print the docker command without running it.")
  boolean dryRun;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    DockerServing docker = build();
    docker.writeFiles();
    var out = spec.commandLine().getOut();
    if (dryRun) {
      out.println("# " + docker.configFile());
      out.print(docker.containerConfig().toText());
      docker.batchingFile().ifPresent(f -> out.println("# batching parameters: " + f));
      out.println(docker.commandLine());
      out.flush();
      return 0;
    }
    var reason = DockerEngine.unavailableReason();
    if (reason.isPresent()) {
      throw new IllegalStateException(
          "no Docker engine answers (" + reason.get() + "). Start Docker, or run --dry-run to print"
              + " the command; the Java API can fall back to the embedded server"
              + " (DockerServing.startOrFallback).");
    }
    out.println(docker.commandLine());
    out.flush();
    try (RunningServing server = docker.start()) {
      Thread hook = new Thread(() -> {
        try {
          server.close();
        } catch (Exception ignored) {
          // exiting anyway
        }
      }, "tfkit-docker-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      out.println("serving " + server.models() + " on grpc " + server.grpcTarget() + " and "
          + server.restUrl() + "/v1/models/<name>; Ctrl-C stops the container");
      out.flush();
      server.awaitStop();
      // Reached when the container ended by itself (Ctrl-C ends the JVM in the hook).
      Runtime.getRuntime().removeShutdownHook(hook);
      throw new IllegalStateException("container " + docker.containerName() + " stopped; last log lines:\n"
          + server.recentLogs(20));
    }
  }

  DockerServing build() {
    ServingConfig cfg;
    Path writeTo = null;
    if (!models.isEmpty()) {
      List<ServedModel> list = new ArrayList<>();
      for (String spec : models) {
        int eq = spec.indexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) {
          throw new IllegalArgumentException("--model '" + spec + "': expected NAME=PATH");
        }
        list.add(ServedModel.of(spec.substring(0, eq), Path.of(spec.substring(eq + 1))));
      }
      cfg = ServingConfig.of(list);
      writeTo = config;
    } else if (config != null) {
      // The user's file names host paths: the container's config goes to a temp folder, never over it.
      cfg = ServingConfig.read(config);
    } else {
      throw new IllegalArgumentException("give at least one --model NAME=PATH, or --config FILE");
    }
    DockerServing.Builder b = DockerServing.builder(cfg).gpu(gpu).grpcPort(grpcPort).restPort(restPort)
        .startTimeout(Duration.ofSeconds(timeoutSeconds));
    if (writeTo != null) {
      b.configFile(writeTo);
    }
    if (image != null) {
      b.image(image);
    }
    if (containerName != null) {
      b.containerName(containerName);
    }
    if (batching != null) {
      if (!Files.isRegularFile(batching)) {
        throw new IllegalArgumentException("--batching " + batching + ": no such file");
      }
      b.batching(BatchingParameters.read(batching));
    }
    return b.build();
  }
}
