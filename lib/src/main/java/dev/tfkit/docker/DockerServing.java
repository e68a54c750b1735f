package dev.tfkit.docker;

import dev.tfkit.config.BatchingParameters;
import dev.tfkit.config.ServedModel;
import dev.tfkit.config.ServingConfig;
import dev.tfkit.io.ShortCommand;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Serves models with TensorFlow Serving in Docker: writes the model config (and batching) files,
 * builds the {@code docker run} command, runs it, waits until every model is AVAILABLE (gRPC
 * GetModelStatus), streams the container's log, and stops the container on close.
 *
 * <pre>{@code
 * ServingConfig config = ServingConfig.of(ServedModel.of("half_plus_two", Path.of("models/half_plus_two")));
 * DockerServing docker = DockerServing.builder(config).configFile(Path.of("serving/models.config")).build();
 * System.out.println(docker.commandLine());   // what start() runs
 * try (RunningServing server = docker.startOrFallback(EmbeddedFallback::start)) {
 *   // call server.grpcTarget() ...
 * }
 * }</pre>
 *
 * <p>The command has the shape of TF Serving's documented one: {@code docker run --rm --name NAME
 * -p 8500:8500 -p 8501:8501 --mount type=bind,source=<abs model folder>,target=/models/<name> ...
 * --mount type=bind,source=<config folder>,target=/models/_config -t tensorflow/serving
 * --model_config_file=/models/_config/models.config}; with {@link Builder#gpu(boolean) gpu} it adds
 * {@code --gpus all} and uses {@code tensorflow/serving:latest-gpu}. The config folder is mounted
 * (not the file) so that rewriting the file atomically stays visible to TF Serving's polling.
 *
 * <p><b>Fallback.</b> When no Docker engine answers, {@link #startOrFallback(Fallback)} starts
 * another server instead — tfkit's embedded server in the notebooks — with the same config (host
 * base paths) and the same ports; {@link RunningServing#isDocker()} tells which one runs.
 */
public final class DockerServing {

  /** TF Serving's CPU image. */
  public static final String IMAGE = "tensorflow/serving";
  /** TF Serving's GPU image. */
  public static final String GPU_IMAGE = "tensorflow/serving:latest-gpu";
  /** Where model folders are mounted in the container. */
  public static final String MODELS_ROOT = "/models";
  /**
   * Where the config folder is mounted in the container; model names start with a letter or digit,
   * so no model's mount can clash with it.
   */
  public static final String CONFIG_MOUNT = "/models/_config";
  /** TF Serving's gRPC port inside the container. */
  public static final int CONTAINER_GRPC_PORT = 8500;
  /** TF Serving's REST port inside the container. */
  public static final int CONTAINER_REST_PORT = 8501;

  static final String BATCHING_FILE = "batching.config";

  private final ServingConfig config;
  private final Path configFile;
  private final boolean gpu;
  private final String image;
  private final int grpcPort;
  private final int restPort;
  private final BatchingParameters batching;
  private final String containerName;
  private final Duration startTimeout;
  private final Consumer<String> logSink;
  private final List<String> serverArgs;

  private DockerServing(Builder b) {
    this.config = b.config;
    this.configFile = b.configFile.toAbsolutePath().normalize();
    this.gpu = b.gpu;
    this.image = b.image != null ? b.image : (b.gpu ? GPU_IMAGE : IMAGE);
    this.grpcPort = b.grpcPort;
    this.restPort = b.restPort;
    this.batching = b.batching;
    this.containerName = b.containerName;
    this.startTimeout = b.startTimeout;
    this.logSink = b.logSink;
    this.serverArgs = List.copyOf(b.serverArgs);
  }

  /** A builder for serving {@code config} (whose base paths are folders on this machine). */
  public static Builder builder(ServingConfig config) {
    return new Builder(config);
  }

  /** The config as given, with base paths on this machine. */
  public ServingConfig config() {
    return config;
  }

  /** The config TF Serving reads inside the container: every base path is {@code /models/<name>}. */
  public ServingConfig containerConfig() {
    return config.mapBasePaths(m -> MODELS_ROOT + "/" + m.name());
  }

  /** The host file the container config is written to (its folder is mounted at {@link #CONFIG_MOUNT}). */
  public Path configFile() {
    return configFile;
  }

  /** The batching parameters file written beside the config file, when batching is set. */
  public Optional<Path> batchingFile() {
    return batching == null ? Optional.empty() : Optional.of(configFile.resolveSibling(BATCHING_FILE));
  }

  public String containerName() {
    return containerName;
  }

  public String image() {
    return image;
  }

  public int grpcPort() {
    return grpcPort;
  }

  public int restPort() {
    return restPort;
  }

  /** The {@code docker run} command {@link #start()} runs, one argument per element. */
  public List<String> command() {
    List<String> c = new ArrayList<>();
    c.add(DockerEngine.program());
    c.add("run");
    c.add("--rm");
    c.add("--name");
    c.add(containerName);
    if (gpu) {
      c.add("--gpus");
      c.add("all");
    }
    c.add("-p");
    c.add(grpcPort + ":" + CONTAINER_GRPC_PORT);
    c.add("-p");
    c.add(restPort + ":" + CONTAINER_REST_PORT);
    for (ServedModel m : config.models()) {
      c.add("--mount");
      c.add("type=bind,source=" + hostPath(m) + ",target=" + MODELS_ROOT + "/" + m.name());
    }
    c.add("--mount");
    c.add("type=bind,source=" + configFile.getParent() + ",target=" + CONFIG_MOUNT);
    c.add("-t");
    c.add(image);
    c.add("--model_config_file=" + CONFIG_MOUNT + "/" + configFile.getFileName());
    if (batching != null) {
      c.add("--enable_batching=true");
      c.add("--batching_parameters_file=" + CONFIG_MOUNT + "/" + BATCHING_FILE);
    }
    c.addAll(serverArgs);
    return c;
  }

  /** {@link #command()} as one shell line (arguments quoted where needed), for printing. */
  public String commandLine() {
    StringBuilder sb = new StringBuilder();
    for (String a : command()) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(a.matches("[A-Za-z0-9_./:=,@%+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
    }
    return sb.toString();
  }

  private static String hostPath(ServedModel m) {
    return Path.of(m.basePath()).toAbsolutePath().normalize().toString();
  }

  /**
   * Checks the model folders on this machine and writes the container config (and the batching
   * file) atomically; returns the config file. {@link #start()} does this first.
   *
   * @throws IllegalArgumentException naming the model whose folder is missing or has no versions
   */
  public Path writeFiles() {
    config.checkModelFolders();
    Path written = containerConfig().write(configFile);
    if (batching != null) {
      batching.write(batchingFile().orElseThrow());
    }
    return written;
  }

  /**
   * Writes the files, runs the container, and returns once every model is AVAILABLE.
   *
   * @throws IllegalStateException when no Docker engine answers (the message says why and how to
   *     fall back), when the container stops, or when a model fails or does not load in time
   */
  public RunningServing start() {
    Optional<String> reason = DockerEngine.unavailableReason();
    if (reason.isPresent()) {
      throw new IllegalStateException(noEngineMessage(reason.get()));
    }
    writeFiles();
    RunningServing.LogTail tail = new RunningServing.LogTail(200);
    Process process;
    try {
      process = new ProcessBuilder(command()).redirectErrorStream(true).start();
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + DockerEngine.program() + ": " + e.getMessage(), e);
    }
    Thread pump = new Thread(() -> pumpLogs(process, tail), "tfkit-serving-log-" + containerName);
    pump.setDaemon(true);
    pump.start();
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    AutoCloseable stopper = () -> stop(process, channel, pump);
    try {
      ModelStatusWaiter.awaitAvailable(
          channel, config.modelNames(), startTimeout,
          // "running" until the log is drained too, so an error carries the container's last words
          () -> process.isAlive() || pump.isAlive(),
          () -> tail.last(30));
    } catch (RuntimeException e) {
      try {
        stopper.close();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return new RunningServing(containerName, grpcPort, restPort, config.modelNames(), stopper, tail)
        .stoppedWhen(process.onExit());
  }

  /** Something that serves a config on given ports when Docker cannot: the embedded server. */
  @FunctionalInterface
  public interface Fallback {
    /**
     * Starts a server for {@code config} (base paths on this machine) on the given ports, returning
     * once its models are available; closing the result stops it.
     */
    AutoCloseable start(ServingConfig config, int grpcPort, int restPort) throws Exception;
  }

  /**
   * {@link #start()} when a Docker engine answers; otherwise starts {@code fallback} with the same
   * config (host base paths) and ports, after printing why to the log sink.
   */
  public RunningServing startOrFallback(Fallback fallback) {
    Objects.requireNonNull(fallback, "fallback");
    Optional<String> reason = DockerEngine.unavailableReason();
    if (reason.isEmpty()) {
      return start();
    }
    config.checkModelFolders();
    logSink.accept("tfkit: no Docker engine (" + reason.get() + "); starting the fallback server");
    AutoCloseable server;
    try {
      server = fallback.start(config, grpcPort, restPort);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("fallback server failed to start: " + e.getMessage(), e);
    }
    return new RunningServing(null, grpcPort, restPort, config.modelNames(), server, null);
  }

  /** {@link #startOrFallback(Fallback)} for a fallback that picks its ports from the config alone. */
  public RunningServing startOrFallback(Function<ServingConfig, AutoCloseable> fallback) {
    Objects.requireNonNull(fallback, "fallback");
    return startOrFallback((cfg, g, r) -> fallback.apply(cfg));
  }

  static String noEngineMessage(String reason) {
    return "no Docker engine answers (" + reason + "). Start Docker, print the command with"
        + " --dry-run to run it elsewhere, or serve with tfkit's embedded server"
        + " (DockerServing.startOrFallback in Java).";
  }

  private void pumpLogs(Process process, RunningServing.LogTail tail) {
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        // -t gives the container a terminal: strip its carriage returns.
        String clean = line.replace("\r", "");
        tail.add(clean);
        logSink.accept(clean);
      }
    } catch (IOException ignored) {
      // the stream closes when the container stops
    }
  }

  private synchronized void stop(Process process, ManagedChannel channel, Thread pump)
      throws InterruptedException {
    channel.shutdownNow();
    if (process.isAlive()) {
      ShortCommand.run(List.of(DockerEngine.program(), "stop", "-t", "10", containerName), 30);
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
    // Let the last log lines (often the reason it stopped) reach the sink before returning.
    pump.join(5000);
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Builds {@link DockerServing}; everything but the config has a default. */
  public static final class Builder {
    private final ServingConfig config;
    private Path configFile;
    private boolean gpu;
    private String image;
    private int grpcPort = CONTAINER_GRPC_PORT;
    private int restPort = CONTAINER_REST_PORT;
    private BatchingParameters batching;
    private String containerName;
    private Duration startTimeout = Duration.ofSeconds(120);
    private Consumer<String> logSink = line -> System.err.println("[tfserving] " + line);
    private final List<String> serverArgs = new ArrayList<>();

    private Builder(ServingConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /** Host file the container config is written to; default: models.config in a new temp folder. */
    public Builder configFile(Path file) {
      this.configFile = Objects.requireNonNull(file, "configFile");
      return this;
    }

    /** Use the GPU image and {@code --gpus all}. */
    public Builder gpu(boolean gpu) {
      this.gpu = gpu;
      return this;
    }

    /** Image to run; default {@code tensorflow/serving} (or {@code :latest-gpu} with gpu). */
    public Builder image(String image) {
      if (image == null || image.isBlank()) {
        throw new IllegalArgumentException("image is empty");
      }
      this.image = image;
      return this;
    }

    /** Host port for gRPC (default 8500). */
    public Builder grpcPort(int port) {
      this.grpcPort = checkPort(port, "grpc");
      return this;
    }

    /** Host port for REST (default 8501). */
    public Builder restPort(int port) {
      this.restPort = checkPort(port, "rest");
      return this;
    }

    /** Enables server-side batching with these parameters (written beside the config file). */
    public Builder batching(BatchingParameters batching) {
      this.batching = batching;
      return this;
    }

    /** Container name (used to stop it); default {@code tfkit-serving-<random>}. */
    public Builder containerName(String name) {
      if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
        throw new IllegalArgumentException("container name '" + name + "' is not a valid Docker name");
      }
      this.containerName = name;
      return this;
    }

    /** How long {@link #start()} waits for the models to become AVAILABLE (default 120 s). */
    public Builder startTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("start timeout must be positive, got " + timeout);
      }
      this.startTimeout = timeout;
      return this;
    }

    /** Receives every container log line (default: standard error with a [tfserving] prefix). */
    public Builder logSink(Consumer<String> sink) {
      this.logSink = Objects.requireNonNull(sink, "logSink");
      return this;
    }

    /** Extra tensorflow_model_server flags appended to the command, e.g. {@code --rest_api_timeout_in_ms=5000}. */
    public Builder serverArg(String flag) {
      if (flag == null || !flag.startsWith("--")) {
        throw new IllegalArgumentException("server flag must start with --, got '" + flag + "'");
      }
      serverArgs.add(flag);
      return this;
    }

    private static int checkPort(int port, String what) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(what + " port must be 1..65535, got " + port);
      }
      return port;
    }

    public DockerServing build() {
      if (grpcPort == restPort) {
        throw new IllegalArgumentException("grpc and rest ports are both " + grpcPort);
      }
      if (configFile == null) {
        try {
          configFile = Files.createTempDirectory("tfkit-serving").resolve("models.config");
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create a temp folder for models.config", e);
        }
      }
      if (configFile.getFileName().toString().equals(BATCHING_FILE)) {
        throw new IllegalArgumentException("config file must not be named " + BATCHING_FILE);
      }
      if (containerName == null) {
        containerName = "tfkit-serving-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
      }
      return new DockerServing(this);
    }
  }
}
