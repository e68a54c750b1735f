package dev.tfkit.cli;

import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.server.IdleHeapReturn;
import dev.tfkit.server.ServerAlts;
import dev.tfkit.server.ServerTls;
import dev.tfkit.server.api.RestLimits;
import dev.tfkit.server.api.ServerConfigs;
import dev.tfkit.server.tensorflow.BatchingOptions;
import dev.tfkit.server.tensorflow.SessionThreads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code tfkit serve}: the embedded TF Serving-compatible model server, with {@code
 * tensorflow_model_server}'s flags (same names, same meanings, {@code --flag=value} or {@code
 * --flag value}). Runs until Ctrl-C.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve SavedModels over TF Serving's gRPC and REST APIs from this JVM (no Docker needed).",
      "Flags are tensorflow_model_server's; the server binds 127.0.0.1 unless --bind_address says"
          + " otherwise."
    })
final class ServeCommand implements Callable<Integer> {

  @Option(names = "--port", defaultValue = "8500", description = "gRPC port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--rest_api_port", defaultValue = "8501",
      description = "REST port (default ${DEFAULT-VALUE}); 0 turns REST off.")
  int restApiPort;

  @Option(names = "--model_name", defaultValue = "default",
      description = "Name of the model served from --model_base_path (default ${DEFAULT-VALUE}).")
  String modelName;

  @Option(names = "--model_base_path", paramLabel = "DIR",
      description = "Folder whose integer-named subfolders are the model's versions.")
  Path modelBasePath;

  @Option(names = "--model_config_file", paramLabel = "FILE",
      description = "Text-format tensorflow.serving.ModelServerConfig (instead of --model_name/--model_base_path).")
  Path modelConfigFile;

  @Option(names = "--model_config_file_poll_wait_seconds", defaultValue = "0",
      description = "Apply --model_config_file again this often, as TF Serving does: a config set by"
          + " HandleReloadConfigRequest lasts until the next poll (0: never).")
  long configPollSeconds;

  @Option(names = "--file_system_poll_wait_seconds", defaultValue = "1",
      description = "Look for new and removed versions this often (default ${DEFAULT-VALUE}; 0: never).")
  long fsPollSeconds;

  @Option(names = "--rest_api_timeout_in_ms", defaultValue = "30000",
      description = "Longest a REST request may run (default ${DEFAULT-VALUE}).")
  long restTimeoutMs;

  @Option(names = "--rest_max_body_bytes",
      defaultValue = "" + RestLimits.DEFAULT_MAX_BODY_BYTES,
      description = "tfkit's flag: largest REST request body; larger ones get 413 before they are read"
          + " (default ${DEFAULT-VALUE}, 64 MiB).")
  long restMaxBodyBytes;

  @Option(names = "--rest_max_body_bytes_in_flight", defaultValue = "0",
      description = "tfkit's flag: largest total of REST bodies being read or handled at once; more gets 503"
          + " (0 = auto: an eighth of the heap, 1 to 4 largest bodies).")
  long restMaxBodyBytesInFlight;

  @Option(names = "--rest_read_timeout_in_ms", defaultValue = "10000",
      description = "tfkit's flag: time a REST request's headers may take, and its body may stall,"
          + " before it gets 408 and is closed (default ${DEFAULT-VALUE}).")
  long restReadTimeoutMs;

  @Option(names = "--enable_batching", arity = "0..1", fallbackValue = "true", defaultValue = "false",
      description = "Merge concurrent Predict requests into one run.")
  boolean enableBatching;

  @Option(names = "--batching_parameters_file", paramLabel = "FILE",
      description = "Text-format BatchingParameters (max_batch_size, batch_timeout_micros, num_batch_threads ...).")
  Path batchingParametersFile;

  @Option(names = "--enable_model_warmup", arity = "0..1", fallbackValue = "true", defaultValue = "true",
      description = "Replay assets.extra/tf_serving_warmup_requests before a version serves (default ${DEFAULT-VALUE}).")
  boolean enableModelWarmup;

  @Option(names = "--num_request_iterations_for_warmup", defaultValue = "0",
      description = "Times each warmup record is replayed; used only if > 0, else once (default ${DEFAULT-VALUE}).")
  int warmupIterations;

  @Option(names = "--platform_config_file", paramLabel = "FILE",
      description = "Text-format PlatformConfigMap (platform 'tensorflow', SavedModelBundleSourceAdapterConfig);"
          + " when given, --enable_batching, --batching_parameters_file, --enable_model_warmup,"
          + " --num_request_iterations_for_warmup, the --tensorflow_*_parallelism flags and"
          + " --allow_soft_placement are ignored, as in TF Serving.")
  Path platformConfigFile;

  @Option(names = "--monitoring_config_file", paramLabel = "FILE",
      description = "Text-format MonitoringConfig (prometheus_config { enable path }); without it there is"
          + " no Prometheus page, as in TF Serving.")
  Path monitoringConfigFile;

  @Option(names = "--grpc_channel_arguments", defaultValue = "",
      description = "gRPC server arguments, name=value,name=value (those with a grpc-java equivalent apply).")
  String grpcChannelArguments;

  @Option(names = "--grpc_max_message_bytes",
      defaultValue = "" + EmbeddedServer.DEFAULT_MAX_MESSAGE_BYTES,
      description = "tfkit's flag: the largest gRPC request accepted, in bytes (default ${DEFAULT-VALUE},"
          + " TF Serving's); larger ones are refused before they are buffered.")
  int grpcMaxMessageBytes;

  @Option(names = "--ssl_config_file", paramLabel = "FILE",
      description = "Text-format tensorflow.serving.SSLConfig (server_key, server_cert, custom_ca,"
          + " client_verify): serve gRPC over TLS; REST stays plaintext, as in TF Serving.")
  Path sslConfigFile;

  @Option(names = "--use_alts_credentials", arity = "0..1", fallbackValue = "true", defaultValue = "false",
      description = "Serve gRPC (port and socket) over ALTS, Google's transport security; REST stays"
          + " plaintext. Needs Google Cloud or --alts_handshaker_service; not with --ssl_config_file.")
  boolean useAltsCredentials;

  @Option(names = "--alts_handshaker_service", paramLabel = "HOST:PORT",
      description = "tfkit's flag: the ALTS handshaker service (default: Google Cloud's metadata"
          + " server, " + ServerAlts.DEFAULT_HANDSHAKER_SERVICE + " or $GCE_METADATA_HOST, as grpc-java);"
          + " lets --use_alts_credentials run off Google Cloud.")
  String altsHandshakerService;

  @Option(names = "--grpc_socket_path", paramLabel = "PATH",
      description = "Also serve gRPC on this Unix domain socket (relative or absolute; removed on exit).")
  Path grpcSocketPath;

  @Option(names = "--bind_address", defaultValue = "127.0.0.1",
      description = "Address to listen on (tfkit's flag; default ${DEFAULT-VALUE}, 0.0.0.0 for all).")
  String bindAddress;

  @Option(names = "--tensorflow_session_parallelism", defaultValue = "0",
      description = "Threads for each TensorFlow session, both pools (0 = auto).")
  int sessionParallelism;

  @Option(names = "--tensorflow_intra_op_parallelism", defaultValue = "0",
      description = "Threads one op may use (0 = auto: one per core).")
  int intraOpParallelism;

  @Option(names = "--tensorflow_inter_op_parallelism", defaultValue = "0",
      description = "Ops run at once per session (0 = auto: a request's ops run on its own thread; -1 the same explicitly).")
  int interOpParallelism;

  @Option(names = "--inline_run_threshold_micros",
      defaultValue = "" + EmbeddedServer.DEFAULT_INLINE_RUN_THRESHOLD_MICROS,
      description = "tfkit's flag: gRPC requests to a model whose recent requests each took less"
          + " run on the thread that read them, without a hand-off (default ${DEFAULT-VALUE}; 0: never).")
  long inlineRunThresholdMicros;

  @Option(names = "--allow_soft_placement", arity = "0..1", fallbackValue = "true", defaultValue = "false",
      description = "Let TensorFlow place nodes pinned to a device this machine lacks (e.g. /device:GPU:0 on a"
          + " CPU-only host) on another device (TensorFlow's session option; default ${DEFAULT-VALUE}, as in TF Serving).")
  boolean allowSoftPlacement;

  @Option(names = "--max_num_load_retries", defaultValue = "5",
      description = "How many times a failed version load is retried after the first failure (0: never;"
          + " default ${DEFAULT-VALUE}, as in TF Serving). A changed version folder or config is tried again"
          + " in any case.")
  int maxNumLoadRetries;

  @Option(names = "--load_retry_interval_micros", defaultValue = "60000000",
      description = "Microseconds between load retries (negative: no wait; default ${DEFAULT-VALUE}, one"
          + " minute, as in TF Serving).")
  long loadRetryIntervalMicros;

  @Option(names = "--enable_signature_method_name_check", arity = "0..1", fallbackValue = "true",
      defaultValue = "false",
      description = "Refuse Predict on a signature whose method_name is not predict, classify or regress, and"
          + " Classify/Regress on one that is not classify/regress (default ${DEFAULT-VALUE}, as in TF Serving).")
  boolean enableSignatureMethodNameCheck;

  @Option(names = "--probe_loads", arity = "0..1", fallbackValue = "true", defaultValue = "false",
      description = "tfkit's flag: load each new version in a separate trial JVM first, so that a model"
          + " TensorFlow aborts on fails alone instead of stopping the server (default ${DEFAULT-VALUE};"
          + " costs a JVM and TensorFlow start per version).")
  boolean probeLoads;

  /** After this long without a whole-heap collection, the JVM runs one, and an idle heap shrinks. */
  static final Duration IDLE_HEAP_RETURN = Duration.ofSeconds(30);

  @CommandLine.Unmatched List<String> unmatched = new ArrayList<>();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    // One line per log record (version loaded/unloaded/failed), unless the user configured it;
    // main already did this, but the command can also be run from other code.
    ConsoleLogging.install();
    EmbeddedServer.Builder builder = build();
    // This process is the server's own: let it give back the heap a burst of large requests grew.
    IdleHeapReturn.enableIfUnset(IDLE_HEAP_RETURN);
    EmbeddedServer server = builder.start();
    var out = spec.commandLine().getOut();
    out.println(
        "tfkit serve: gRPC" + (server.grpcTls() ? " (TLS)" : "") + (server.grpcAlts() ? " (ALTS)" : "")
            + " at " + server.grpcTarget()
            + (server.grpcSocketTarget() != null ? " and " + server.grpcSocketTarget() : "")
            + (server.restUrl() != null ? ", REST at " + server.restUrl() : "")
            + "; Ctrl-C stops");
    out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "tfkit-serve-shutdown"));
    stopped.await();
    return 0;
  }

  /** The server these flags describe (not started); every flag problem is reported here. */
  EmbeddedServer.Builder build() throws IOException {
    if (!unmatched.isEmpty()) {
      List<String> known = new ArrayList<>();
      spec.options().forEach(o -> known.add(o.longestName()));
      throw new IllegalArgumentException(
          "unknown flag(s) " + String.join(" ", unmatched) + "; known flags: " + String.join(", ", known));
    }
    if (maxNumLoadRetries < 0) {
      throw new IllegalArgumentException("--max_num_load_retries must be 0 or more, got " + maxNumLoadRetries);
    }
    if (grpcMaxMessageBytes <= 0) {
      throw new IllegalArgumentException("--grpc_max_message_bytes must be positive, got " + grpcMaxMessageBytes);
    }
    if (inlineRunThresholdMicros < 0) {
      throw new IllegalArgumentException(
          "--inline_run_threshold_micros must be 0 (never) or positive, got " + inlineRunThresholdMicros);
    }
    if (modelBasePath == null && modelConfigFile == null) {
      throw new IllegalArgumentException(
          "Both --model_base_path and --model_config_file are empty: give one of them");
    }
    if (modelBasePath != null && modelConfigFile != null) {
      throw new IllegalArgumentException(
          "--model_base_path and --model_config_file are exclusive: give one of them");
    }
    EmbeddedServer.Builder b =
        EmbeddedServer.builder()
            .bindAddress(bindAddress)
            .grpcPort(port)
            .restTimeout(Duration.ofMillis(restTimeoutMs))
            .restMaxBodyBytes(restMaxBodyBytes)
            .restMaxBodyBytesInFlight(restMaxBodyBytesInFlight)
            .restReadTimeout(Duration.ofMillis(restReadTimeoutMs))
            .fileSystemPollWait(Duration.ofSeconds(fsPollSeconds))
            .warmup(enableModelWarmup)
            .probeLoads(probeLoads)
            .allowSoftPlacement(allowSoftPlacement)
            .maxNumLoadRetries(maxNumLoadRetries)
            .loadRetryInterval(Duration.of(loadRetryIntervalMicros, ChronoUnit.MICROS))
            .signatureMethodNameCheck(enableSignatureMethodNameCheck)
            .maxMessageBytes(grpcMaxMessageBytes)
            .grpcChannelArguments(grpcChannelArguments)
            .inlineRunThreshold(Duration.ofNanos(Math.multiplyExact(inlineRunThresholdMicros, 1000L)))
            .sessionThreads(
                new SessionThreads(
                    sessionParallelism, intraOpParallelism, interOpParallelism));
    if (restApiPort == 0) {
      b.noRest();
    } else {
      b.restPort(restApiPort);
    }
    if (modelBasePath != null) {
      if (!Files.isDirectory(modelBasePath)) {
        throw new IllegalArgumentException("--model_base_path " + modelBasePath + " is not a folder");
      }
      b.model(modelName, modelBasePath);
    } else {
      if (!Files.isRegularFile(modelConfigFile)) {
        throw new IllegalArgumentException("--model_config_file " + modelConfigFile + " does not exist");
      }
      ServerConfigs.readModelServerConfig(modelConfigFile); // refuse a bad file before starting
      b.modelConfigFile(modelConfigFile).modelConfigFilePollWait(Duration.ofSeconds(configPollSeconds));
    }
    if (platformConfigFile != null) {
      // As TF Serving: the platform config replaces the session, batching and warmup flags.
      if (!Files.isRegularFile(platformConfigFile)) {
        throw new IllegalArgumentException("--platform_config_file " + platformConfigFile + " does not exist");
      }
      ServerConfigs.PlatformSettings p = ServerConfigs.readPlatformConfig(platformConfigFile);
      List<String> ignored = new ArrayList<>();
      var parsed = spec.commandLine().getParseResult();
      for (String flag :
          List.of(
              "--enable_batching", "--batching_parameters_file", "--enable_model_warmup",
              "--num_request_iterations_for_warmup", "--tensorflow_session_parallelism",
              "--tensorflow_intra_op_parallelism", "--tensorflow_inter_op_parallelism",
              "--allow_soft_placement")) {
        if (parsed != null && parsed.hasMatchedOption(flag)) {
          ignored.add(flag);
        }
      }
      if (!ignored.isEmpty()) {
        spec.commandLine().getErr().println(
            "tfkit serve: --platform_config_file is given, so " + String.join(", ", ignored)
                + " " + (ignored.size() == 1 ? "is" : "are") + " ignored (as in TF Serving)");
      }
      p.batching().ifPresent(b::batching);
      b.warmup(p.warmup())
          .warmupIterations(p.warmupIterations())
          .sessionThreads(p.threads())
          .allowSoftPlacement(p.allowSoftPlacement());
    } else {
      if (enableBatching) {
        b.batching(
            batchingParametersFile != null
                ? ServerConfigs.readBatching(batchingParametersFile)
                : BatchingOptions.defaults());
      } else if (batchingParametersFile != null) {
        throw new IllegalArgumentException("--batching_parameters_file needs --enable_batching");
      }
      // As in TF Serving: the flag counts only when positive.
      b.warmupIterations(warmupIterations > 0 ? warmupIterations : 1);
    }
    if (monitoringConfigFile != null) {
      b.monitoring(ServerConfigs.readMonitoring(monitoringConfigFile));
    }
    if (useAltsCredentials && sslConfigFile != null) {
      throw new IllegalArgumentException(
          "--use_alts_credentials and --ssl_config_file are exclusive (as in TF Serving): give one of them");
    }
    if (altsHandshakerService != null && !useAltsCredentials) {
      throw new IllegalArgumentException(
          "--alts_handshaker_service=" + altsHandshakerService + " needs --use_alts_credentials");
    }
    if (useAltsCredentials) {
      ServerAlts.of(altsHandshakerService); // refuse off Google Cloud without a handshaker, now
      b.useAltsCredentials(true).altsHandshakerService(altsHandshakerService);
    }
    if (sslConfigFile != null) {
      if (!Files.isRegularFile(sslConfigFile)) {
        throw new IllegalArgumentException("--ssl_config_file " + sslConfigFile + " does not exist");
      }
      ServerTls.read(sslConfigFile); // refuse a bad key or certificate before starting
      b.sslConfigFile(sslConfigFile);
    }
    if (grpcSocketPath != null) {
      b.grpcSocketPath(grpcSocketPath);
    }
    return b;
  }
}
