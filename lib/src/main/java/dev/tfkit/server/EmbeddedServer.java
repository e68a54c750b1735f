package dev.tfkit.server;

import dev.tfkit.io.AliasingMarshaller;
import dev.tfkit.server.api.Metrics;
import dev.tfkit.server.api.ModelServiceImpl;
import dev.tfkit.server.api.PredictionServiceImpl;
import dev.tfkit.server.api.RestGateway;
import dev.tfkit.server.api.RestLimits;
import dev.tfkit.server.api.ServerConfigs;
import dev.tfkit.server.api.ServingApi;
import dev.tfkit.server.api.UnparseableRequests;
import dev.tfkit.server.lifecycle.ModelConfig;
import dev.tfkit.server.lifecycle.ModelManager;
import dev.tfkit.server.logging.RequestLogs;
import dev.tfkit.server.tensorflow.BatchingOptions;
import dev.tfkit.server.tensorflow.InputValidator;
import dev.tfkit.server.tensorflow.LoadProbe;
import dev.tfkit.server.tensorflow.SavedModelLoader;
import dev.tfkit.server.tensorflow.SavedModelServable;
import dev.tfkit.server.tensorflow.SessionThreads;
import dev.tfkit.server.util.DaemonThreads;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;
import tensorflow.serving.ModelServerConfigOuterClass;
import tensorflow.serving.MonitoringConfigOuterClass.MonitoringConfig;
import tensorflow.serving.SslConfig.SSLConfig;

/**
 * A model server in this JVM that speaks TensorFlow Serving's gRPC and REST APIs: stock TF Serving
 * clients (and tfkit's {@code ServingModel}) call it as they would call {@code
 * tensorflow_model_server}. Build it, {@link Builder#start() start} it, close it when done.
 *
 * <pre>{@code
 * try (EmbeddedServer server = EmbeddedServer.builder()
 *         .model("half_plus_two", Path.of("models/half_plus_two"))
 *         .grpcPort(0).restPort(0)          // 0: any free port
 *         .start()) {
 *   System.out.println(server.grpcTarget() + " " + server.restUrl());
 * }
 * }</pre>
 */
public final class EmbeddedServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.tfkit.server");
  /**
   * TF Serving's Prometheus path: where the page is when a monitoring config enables it without a
   * path. As in TF Serving, there is no page unless a monitoring config enables it.
   */
  public static final String DEFAULT_METRICS_PATH = "/monitoring/prometheus/metrics";

  private final ModelManager<SavedModelServable> manager;
  private final ServingApi api;
  private final Server grpc;
  private final ServerTls tls; // null: plaintext gRPC (or ALTS)
  private final ServerAlts alts; // null: no ALTS
  private final Server grpcSocket; // null without --grpc_socket_path
  private final Path socketPath;
  private final EventLoopGroup socketBoss;
  private final EventLoopGroup socketWorkers;
  private final RestGateway rest;
  private final ScheduledExecutorService configPoller;
  private final ExecutorService workers;
  private final String host;
  private final Path configFile;
  private final RequestLogs requestLogs = new RequestLogs();
  /** The config file's text last applied, or null after a config came by RPC (the next poll applies the file). */
  private volatile String appliedConfigText;

  private EmbeddedServer(Builder b, ServerTls tls, ServerAlts alts, Path socketFile)
      throws IOException {
    this.host = b.host;
    this.configFile = b.modelConfigFile;
    this.tls = tls;
    this.alts = alts;
    InputValidator validator = new InputValidator(b.maxTensorBytes);
    this.manager =
        new ModelManager<>(new SavedModelLoader(validator, Optional.ofNullable(b.batching), b.warmup, b.sessionThreads)
            .probe(b.probeLoads ? Optional.of(new LoadProbe(b.probeTimeout)) : Optional.empty())
            .allowSoftPlacement(b.allowSoftPlacement)
            .warmupIterations(b.warmupIterations)
            .signatureMethodNameCheck(b.signatureMethodNameCheck));
    manager.loadRetries(b.maxNumLoadRetries, b.loadRetryInterval);
    Metrics metrics = new Metrics();
    this.api = new ServingApi(manager, metrics, Paths.get("").toAbsolutePath());
    api.requestLogs(requestLogs);
    this.workers = Executors.newCachedThreadPool(DaemonThreads.named("tfkit-grpc-worker"));
    Server grpcServer = null;
    Server socketServer = null;
    EventLoopGroup boss = null;
    EventLoopGroup socketWorkerGroup = null;
    RestGateway gateway = null;
    ScheduledExecutorService poller = null;
    try {
      List<ModelConfig> models = new ArrayList<>(b.models);
      List<ModelServerConfigOuterClass.ModelConfig> logged = new ArrayList<>();
      if (b.modelConfigFile != null) {
        String text = Files.readString(b.modelConfigFile);
        ModelServerConfig fromFile = ServerConfigs.readModelServerConfig(b.modelConfigFile);
        models.addAll(ServerConfigs.models(fromFile, Paths.get("")));
        logged.addAll(fromFile.getModelConfigList().getConfigList());
        appliedConfigText = text;
      }
      if (b.modelConfig != null) {
        models.addAll(ServerConfigs.models(b.modelConfig, Paths.get("")));
        logged.addAll(b.modelConfig.getModelConfigList().getConfigList());
      }
      requestLogs.configure(logged, Paths.get(""));
      manager.setConfig(models);
      manager.startPolling(b.fileSystemPollWait);

      // Requests parsed with aliasing (tensor_content is not copied a second time); one that does
      // not parse is answered INVALID_ARGUMENT with a rate-limited log line, not a stack trace.
      List<ServerServiceDefinition> services =
          List.of(UnparseableRequests.guarded(
              AliasingMarshaller.parsingRequestsWithAliasing(
                  new PredictionServiceImpl(api, workers, b.inlineRunThreshold.toNanos()).bindService()),
              new ModelServiceImpl(api, r -> configCameByRpc(), workers).bindService()));
      grpcServer =
          grpcBuilder(new InetSocketAddress(b.host, b.grpcPort), tls, alts, services, b).build().start();
      if (socketFile != null) {
        // TF Serving's --grpc_socket_path: the same services on a Unix domain socket (Netty's
        // native epoll transport), with the same credentials as the port, as TF Serving does.
        boss = new EpollEventLoopGroup(1, DaemonThreads.named("tfkit-grpc-socket-boss"));
        socketWorkerGroup = new EpollEventLoopGroup(0, DaemonThreads.named("tfkit-grpc-socket"));
        try {
          socketServer =
              grpcBuilder(new DomainSocketAddress(socketFile.toString()), tls, alts, services, b)
                  .channelType(EpollServerDomainSocketChannel.class)
                  // grpc-java sets TCP keepalive on every child channel; a Unix socket has none
                  // and Netty would warn about it on each connection.
                  .withChildOption(ChannelOption.SO_KEEPALIVE, null)
                  .bossEventLoopGroup(boss)
                  .workerEventLoopGroup(socketWorkerGroup)
                  .build()
                  .start();
        } catch (IOException e) {
          throw new IOException(
              "cannot listen on --grpc_socket_path " + socketFile + ": " + e.getMessage(), e);
        }
      }
      if (b.restPort >= 0) {
        String metricsPath = null;
        if (b.monitoring != null) {
          metricsPath =
              b.monitoring.getPrometheusConfig().getEnable()
                  ? (b.monitoring.getPrometheusConfig().getPath().isEmpty()
                      ? DEFAULT_METRICS_PATH
                      : b.monitoring.getPrometheusConfig().getPath())
                  : null;
        }
        gateway =
            new RestGateway(
                api,
                new InetSocketAddress(b.host, b.restPort),
                b.restTimeout,
                metricsPath,
                RestLimits.of(b.restMaxBodyBytes, b.restMaxBodyBytesInFlight, b.restReadTimeout),
                b.inlineRunThreshold);
      }
      if (b.modelConfigFile != null && !b.modelConfigPollWait.isZero()) {
        poller =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("tfkit-config-poller"));
        Path file = b.modelConfigFile;
        long ms = b.modelConfigPollWait.toMillis();
        poller.scheduleWithFixedDelay(() -> pollConfig(file), ms, ms, TimeUnit.MILLISECONDS);
      }
    } catch (IOException | RuntimeException e) {
      if (grpcServer != null) {
        grpcServer.shutdownNow();
      }
      if (socketServer != null) {
        socketServer.shutdownNow();
      }
      if (boss != null) {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        socketWorkerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
      if (socketServer != null) {
        GrpcSocketFile.remove(socketFile);
      }
      workers.shutdownNow();
      if (gateway != null) {
        gateway.close();
      }
      manager.close();
      requestLogs.close();
      throw e;
    }
    this.grpc = grpcServer;
    this.grpcSocket = socketServer;
    this.socketPath = socketFile;
    this.socketBoss = boss;
    this.socketWorkers = socketWorkerGroup;
    this.rest = gateway;
    this.configPoller = poller;
    LOG.log(
        System.Logger.Level.INFO,
        "Running gRPC ModelServer at " + grpcTarget()
            + (tls != null ? " (TLS" + (tls.clientVerify() ? ", client certificates required" : "") + ")" : "")
            + (alts != null ? " (ALTS, handshaker " + (alts.handshakerService() == null
                ? "of Google Cloud" : alts.handshakerService()) + ")" : "")
            + (grpcSocket != null ? " and " + grpcSocketTarget() : "")
            + (rest != null ? "; exporting HTTP/REST API at " + restUrl() : "")
            + (rest != null && (tls != null || alts != null)
                ? " (plaintext HTTP, as TF Serving's REST API)" : ""));
  }

  /** A gRPC server builder for one listening address, with the server's settings and services. */
  private static NettyServerBuilder grpcBuilder(
      SocketAddress address, ServerTls tls, ServerAlts alts, List<ServerServiceDefinition> services,
      Builder b) {
    // Every method is called on the transport thread that read it (no hand-off before the
    // handler, as in TF Serving's C++ server); inference runs stay there when fast and idle
    // (RunPlacement), everything else moves to the worker pool.
    // Each listener gets its own credentials, as TF Serving builds them per listening port.
    ServerCredentials credentials =
        alts != null ? alts.credentials() : tls != null ? tls.credentials() : null;
    NettyServerBuilder nb =
        (credentials == null
                ? NettyServerBuilder.forAddress(address)
                : NettyServerBuilder.forAddress(address, credentials))
            .maxInboundMessageSize(b.maxMessageBytes)
            .directExecutor();
    for (ServerServiceDefinition service : services) {
      nb.addService(service);
    }
    GrpcChannelArguments.apply(b.grpcChannelArguments, nb);
    return nb;
  }

  private synchronized void configCameByRpc() {
    // TF Serving's poller keeps re-applying the file after a ReloadConfig RPC: the next poll puts
    // the file's config back. Forgetting the applied text makes it do so.
    appliedConfigText = null;
  }

  /**
   * Applies the config file, as TF Serving's PollFilesystemAndReloadConfig does at every poll
   * (relative base paths: the working folder, as TF Serving). Applying the config that is already
   * in force changes nothing, so when the file's text is the one last applied, and no config came
   * by RPC since, the poll stops after reading it.
   */
  private synchronized void pollConfig(Path file) {
    try {
      String text = Files.readString(file);
      if (text.equals(appliedConfigText)) {
        return;
      }
      ModelServerConfig config = ServerConfigs.readModelServerConfig(file);
      List<ModelConfig> models = ServerConfigs.models(config, Paths.get(""));
      manager.setConfig(models);
      requestLogs.configure(config.getModelConfigList().getConfigList(), Paths.get(""));
      appliedConfigText = text;
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "reloading " + file + " failed: " + e.getMessage());
    }
  }

  /** Runs one config-file poll now (what the poller does every --model_config_file_poll_wait_seconds). */
  public void pollConfigNow() {
    if (configFile != null) {
      pollConfig(configFile);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The gRPC port (the one chosen when 0 was asked for). */
  public int grpcPort() {
    return grpc.getPort();
  }

  /** The REST port, or -1 when REST is off. */
  public int restPort() {
    return rest == null ? -1 : rest.port();
  }

  /** {@code host:port} for a gRPC channel. */
  public String grpcTarget() {
    return hostForUrl() + ":" + grpcPort();
  }

  /** Whether gRPC is served over TLS ({@code --ssl_config_file}). */
  public boolean grpcTls() {
    return tls != null;
  }

  /** Whether gRPC is served over ALTS ({@code --use_alts_credentials}). */
  public boolean grpcAlts() {
    return alts != null;
  }

  /** The Unix domain socket gRPC is also served on (absolute), or null when there is none. */
  public Path grpcSocketPath() {
    return socketPath;
  }

  /** {@code unix:/path} for a gRPC channel to the socket, or null when there is none. */
  public String grpcSocketTarget() {
    return socketPath == null ? null : "unix:" + socketPath;
  }

  /** {@code http://host:port} of the REST API, or null when REST is off. */
  public String restUrl() {
    return rest == null ? null : "http://" + hostForUrl() + ":" + restPort();
  }

  private String hostForUrl() {
    String h = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    return h.contains(":") ? "[" + h + "]" : h;
  }

  /** The API behind both transports (for in-process calls and tests). */
  public ServingApi api() {
    return api;
  }

  /** The model lifecycle (versions, status, config). */
  public ModelManager<SavedModelServable> models() {
    return manager;
  }

  /** Re-reads every model's base path now instead of waiting for the next poll. */
  public void pollNow() {
    manager.poll();
  }

  /** Stops both transports, then unloads every model. */
  @Override
  public void close() {
    if (configPoller != null) {
      configPoller.shutdownNow();
    }
    if (rest != null) {
      rest.close();
    }
    grpc.shutdown();
    if (grpcSocket != null) {
      grpcSocket.shutdown();
    }
    awaitTermination(grpc);
    if (grpcSocket != null) {
      awaitTermination(grpcSocket);
      socketBoss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      socketWorkers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      GrpcSocketFile.remove(socketPath);
    }
    workers.shutdown();
    requestLogs.close();
    manager.close();
  }

  private static void awaitTermination(Server server) {
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Default of {@link Builder#maxMessageBytes}: TF Serving's, which sets its gRPC server's maximum
   * message size to the largest int.
   */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = Integer.MAX_VALUE;

  /** Default of {@link Builder#inlineRunThreshold}, in microseconds. */
  public static final long DEFAULT_INLINE_RUN_THRESHOLD_MICROS = 1000;

  private static final Duration DEFAULT_INLINE_RUN_THRESHOLD =
      Duration.ofNanos(DEFAULT_INLINE_RUN_THRESHOLD_MICROS * 1000);

  /** Settings of an {@link EmbeddedServer}; defaults are {@code tensorflow_model_server}'s. */
  public static final class Builder {
    private final List<ModelConfig> models = new ArrayList<>();
    private ModelServerConfig modelConfig;
    private Path modelConfigFile;
    private Duration modelConfigPollWait = Duration.ZERO;
    private Duration fileSystemPollWait = Duration.ofSeconds(1);
    private String host = "127.0.0.1";
    private int grpcPort = 8500;
    private int restPort = 8501;
    private Duration restTimeout = Duration.ofSeconds(30);
    private long restMaxBodyBytes = RestLimits.DEFAULT_MAX_BODY_BYTES;
    private long restMaxBodyBytesInFlight;
    private Duration restReadTimeout = RestLimits.DEFAULT_READ_TIMEOUT;
    private BatchingOptions batching;
    private boolean warmup = true;
    private int warmupIterations = 1;
    private boolean probeLoads;
    private boolean allowSoftPlacement;
    private boolean signatureMethodNameCheck;
    private int maxNumLoadRetries = ModelManager.DEFAULT_MAX_NUM_LOAD_RETRIES;
    private Duration loadRetryInterval = ModelManager.DEFAULT_LOAD_RETRY_INTERVAL;
    private Duration probeTimeout = Duration.ofMinutes(10);
    private MonitoringConfig monitoring;
    private String grpcChannelArguments = "";
    private long maxTensorBytes = InputValidator.DEFAULT_MAX_TENSOR_BYTES;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private SessionThreads sessionThreads = SessionThreads.AUTO;
    private Duration inlineRunThreshold = DEFAULT_INLINE_RUN_THRESHOLD;
    private Path sslConfigFile;
    private SSLConfig sslConfig;
    private Path grpcSocketPath;
    private boolean useAltsCredentials;
    private String altsHandshakerService;

    private Builder() {}

    /**
     * Serves gRPC (the port and the Unix socket) over ALTS, as TF Serving's {@code
     * --use_alts_credentials}; the REST API stays plaintext HTTP. Needs this machine to be on
     * Google Cloud, or a handshaker service given with {@link #altsHandshakerService}; refused
     * together with TLS ({@link #sslConfigFile}), as in TF Serving. See {@link ServerAlts}.
     */
    public Builder useAltsCredentials(boolean on) {
      this.useAltsCredentials = on;
      return this;
    }

    /**
     * The ALTS handshaker service, {@code host:port} (tfkit's {@code --alts_handshaker_service};
     * {@code null}, the default: Google Cloud's metadata server, as grpc-java). A handshaker given
     * here is used off Google Cloud too.
     */
    public Builder altsHandshakerService(String hostPort) {
      this.altsHandshakerService = hostPort;
      return this;
    }

    /**
     * Serves gRPC over TLS as TF Serving's {@code --ssl_config_file} does: a text-format {@code
     * SSLConfig} with {@code server_key}, {@code server_cert}, {@code custom_ca} and {@code
     * client_verify} (see {@link ServerTls}). The REST API stays plaintext HTTP, as TF Serving's.
     */
    public Builder sslConfigFile(Path file) {
      this.sslConfigFile = file;
      return this;
    }

    /** The same from an {@code SSLConfig} message ({@code null}: plaintext). */
    public Builder sslConfig(SSLConfig config) {
      this.sslConfig = config;
      return this;
    }

    /**
     * Also serves gRPC on this Unix domain socket (TF Serving's {@code --grpc_socket_path}),
     * relative to the working folder unless absolute. A socket file left by a server that died is
     * replaced; a live one, or any other file, is refused. The file is removed on {@link #close()}.
     */
    public Builder grpcSocketPath(Path path) {
      this.grpcSocketPath = path;
      return this;
    }

    /**
     * gRPC inference requests of a model whose last 16 requests each took less than this, and
     * that has no other request in flight, run on the transport thread that read them instead of
     * a worker: no thread hand-off, which on a small machine is most of a small model's latency.
     * Zero sends every request to a worker. Default {@value EmbeddedServer#DEFAULT_INLINE_RUN_THRESHOLD_MICROS}
     * µs (tfkit's {@code --inline_run_threshold_micros}; TF Serving has no such setting).
     */
    public Builder inlineRunThreshold(Duration d) {
      this.inlineRunThreshold = nonNegative(d, "inline_run_threshold_micros");
      return this;
    }

    /**
     * The sessions' thread settings (TF Serving's {@code --tensorflow_session_parallelism},
     * {@code --tensorflow_intra_op_parallelism}, {@code --tensorflow_inter_op_parallelism}).
     */
    public Builder sessionThreads(SessionThreads threads) {
      this.sessionThreads = Objects.requireNonNull(threads, "threads");
      return this;
    }

    /** Serves {@code basePath}'s versions as {@code name} (latest version, no labels). */
    public Builder model(String name, Path basePath) {
      return model(ModelConfig.of(name, basePath.toAbsolutePath().normalize()));
    }

    /** Serves a model with its own version policy and labels. */
    public Builder model(ModelConfig config) {
      models.add(Objects.requireNonNull(config, "config"));
      return this;
    }

    /** Serves the models of a {@code ModelServerConfig} (as {@code --model_config_file} holds). */
    public Builder modelConfig(ModelServerConfig config) {
      this.modelConfig = config;
      return this;
    }

    /** Reads the models from a text-format {@code ModelServerConfig} file. */
    public Builder modelConfigFile(Path file) {
      this.modelConfigFile = file;
      return this;
    }

    /** How often the config file is re-read (zero: never, the default). */
    public Builder modelConfigFilePollWait(Duration d) {
      this.modelConfigPollWait = nonNegative(d, "model_config_file_poll_wait_seconds");
      return this;
    }

    /** How often base paths are checked for new or removed versions (default 1 s; zero: never). */
    public Builder fileSystemPollWait(Duration d) {
      this.fileSystemPollWait = nonNegative(d, "file_system_poll_wait_seconds");
      return this;
    }

    /** The address to bind (default 127.0.0.1; "0.0.0.0" for every interface). */
    public Builder bindAddress(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The gRPC port (default 8500; 0 picks a free one). */
    public Builder grpcPort(int port) {
      this.grpcPort = checkPort(port);
      return this;
    }

    /** The REST port (default 8501; 0 picks a free one). */
    public Builder restPort(int port) {
      this.restPort = checkPort(port);
      return this;
    }

    /** Serves no REST API. */
    public Builder noRest() {
      this.restPort = -1;
      return this;
    }

    /** How long a REST request may run (default 30 s, TF Serving's). */
    public Builder restTimeout(Duration d) {
      this.restTimeout = nonNegative(d, "rest_api_timeout_in_ms");
      return this;
    }

    /**
     * Largest REST request body (default 64 MiB): a larger one is answered 413 before it is read.
     * tfkit's {@code --rest_max_body_bytes}; TF Serving has no such limit.
     */
    public Builder restMaxBodyBytes(long bytes) {
      if (bytes <= 0 || bytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(
            "rest_max_body_bytes must be 1.." + (Integer.MAX_VALUE - 8) + ", got " + bytes);
      }
      this.restMaxBodyBytes = bytes;
      return this;
    }

    /**
     * Largest total of REST request bodies being read or handled at once; a request that would
     * go over it is answered 503. Zero (the default): an eighth of the heap, at least one largest
     * body and at most four. tfkit's {@code --rest_max_body_bytes_in_flight}.
     */
    public Builder restMaxBodyBytesInFlight(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("rest_max_body_bytes_in_flight must not be negative: " + bytes);
      }
      this.restMaxBodyBytesInFlight = bytes;
      return this;
    }

    /**
     * How long a REST request's headers may take from its first byte, and how long its body may
     * go without a byte, before it is answered 408 and closed (default 10 s). tfkit's {@code
     * --rest_read_timeout_in_ms}.
     */
    public Builder restReadTimeout(Duration d) {
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException("rest_read_timeout_in_ms must be positive: " + d);
      }
      this.restReadTimeout = d;
      return this;
    }

    /** Merges concurrent Predict requests into one run. */
    public Builder batching(BatchingOptions options) {
      this.batching = options;
      return this;
    }

    /** Replays each version's warmup requests before it serves (default on). */
    public Builder warmup(boolean on) {
      this.warmup = on;
      return this;
    }

    /**
     * Replays each warmup record this many times (TF Serving's {@code
     * --num_request_iterations_for_warmup} / {@code model_warmup_options.num_request_iterations};
     * default 1).
     */
    public Builder warmupIterations(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("num_request_iterations_for_warmup must be at least 1, got " + n);
      }
      this.warmupIterations = n;
      return this;
    }

    /**
     * Where the Prometheus page is ({@code prometheus_config { enable: true path: "..." }}; path
     * empty: {@value EmbeddedServer#DEFAULT_METRICS_PATH}). Without one there is no page, as in TF
     * Serving.
     */
    public Builder monitoring(MonitoringConfig config) {
      this.monitoring = config;
      return this;
    }

    /** TF Serving's {@code --grpc_channel_arguments} ("name=value,name=value"). */
    public Builder grpcChannelArguments(String args) {
      this.grpcChannelArguments = args == null ? "" : args;
      return this;
    }

    /**
     * The largest gRPC request message accepted, in bytes (tfkit's {@code
     * --grpc_max_message_bytes}; default {@value EmbeddedServer#DEFAULT_MAX_MESSAGE_BYTES}, TF
     * Serving's). A larger one is refused with RESOURCE_EXHAUSTED from its length prefix, before it
     * is buffered; a smaller limit bounds what one request can make the server hold (see "limits"
     * in docs/server.md). {@code grpc.max_receive_message_length} in {@link #grpcChannelArguments}
     * sets the same and wins.
     */
    public Builder maxMessageBytes(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("max gRPC message bytes must be positive, got " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /** Largest decoded size of one request tensor (default 1 GiB). */
    /**
     * Loads each new version in a separate trial JVM before loading it into the server (default
     * off): a native abort on a folder from an untrusted source then ends only the trial, and the
     * version fails with that reason. Costs a JVM and TensorFlow start per version.
     */
    public Builder probeLoads(boolean on) {
      this.probeLoads = on;
      return this;
    }

    /**
     * Lets TensorFlow place nodes pinned to a device this machine lacks (a model exported on a GPU
     * machine, served on a CPU one) on another device — TF's {@code allow_soft_placement}; off by
     * default, as in TF Serving.
     */
    public Builder allowSoftPlacement(boolean on) {
      this.allowSoftPlacement = on;
      return this;
    }

    /**
     * TF Serving's {@code --max_num_load_retries} (default 5; 0: a failed load is not retried
     * on a timer) — a changed folder or config still gets a fresh try.
     */
    public Builder maxNumLoadRetries(int retries) {
      if (retries < 0) {
        throw new IllegalArgumentException("max_num_load_retries must be 0 or more, got " + retries);
      }
      this.maxNumLoadRetries = retries;
      return this;
    }

    /** TF Serving's {@code --load_retry_interval_micros} (default 1 minute; negative: no wait). */
    public Builder loadRetryInterval(Duration d) {
      this.loadRetryInterval = Objects.requireNonNull(d, "loadRetryInterval");
      return this;
    }

    /** TF Serving's {@code --enable_signature_method_name_check} (default false). */
    public Builder signatureMethodNameCheck(boolean on) {
      this.signatureMethodNameCheck = on;
      return this;
    }

    /** How long a trial load may take before the version fails (default 10 minutes). */
    public Builder probeTimeout(Duration d) {
      this.probeTimeout = d;
      return this;
    }

    public Builder maxTensorBytes(long bytes) {
      this.maxTensorBytes = bytes;
      return this;
    }

    /** Loads the models (returning once each is loaded or failed) and starts both transports. */
    public EmbeddedServer start() throws IOException {
      if (models.isEmpty() && modelConfig == null && modelConfigFile == null) {
        throw new IllegalArgumentException("no models to serve: add a model or a model config");
      }
      GrpcChannelArguments.parse(grpcChannelArguments); // fail before anything starts
      if (sslConfigFile != null && sslConfig != null) {
        throw new IllegalArgumentException("give sslConfigFile or sslConfig, not both");
      }
      if (useAltsCredentials && (sslConfigFile != null || sslConfig != null)) {
        // TF Serving's Server::BuildAndStart refuses the pair the same way.
        throw new IllegalArgumentException(
            "--use_alts_credentials and --ssl_config_file are exclusive (as in TF Serving): give"
                + " one of them");
      }
      if (altsHandshakerService != null && !useAltsCredentials) {
        throw new IllegalArgumentException(
            "--alts_handshaker_service is given but --use_alts_credentials is not");
      }
      ServerAlts alts = useAltsCredentials ? ServerAlts.of(altsHandshakerService) : null;
      ServerTls tls =
          sslConfigFile != null
              ? ServerTls.read(sslConfigFile)
              : sslConfig != null ? ServerTls.of(sslConfig, "ssl_config") : null;
      // Checked (and a stale socket file removed) before any model loads.
      Path socketFile = grpcSocketPath == null ? null : GrpcSocketFile.prepare(grpcSocketPath);
      return new EmbeddedServer(this, tls, alts, socketFile);
    }

    private static int checkPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, got " + port);
      }
      return port;
    }

    private static Duration nonNegative(Duration d, String what) {
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative: " + d);
      }
      return d;
    }
  }
}
