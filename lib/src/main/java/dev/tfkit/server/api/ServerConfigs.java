package dev.tfkit.server.api;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import com.google.protobuf.TypeRegistry;
import dev.tfkit.config.BatchingParameters;
import dev.tfkit.config.TextErrors;
import dev.tfkit.server.lifecycle.ModelConfig;
import dev.tfkit.server.lifecycle.VersionPolicy;
import dev.tfkit.server.logging.RequestLogs;
import dev.tfkit.server.tensorflow.BatchingOptions;
import dev.tfkit.server.tensorflow.SessionThreads;
import dev.tfkit.server.util.RequestException;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tensorflow.serving.FileSystemStoragePathSource.FileSystemStoragePathSourceConfig.ServableVersionPolicy;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;
import tensorflow.serving.ModelServerConfigOuterClass;
import tensorflow.serving.MonitoringConfigOuterClass;
import tensorflow.serving.PlatformConfigOuterClass.PlatformConfigMap;
import tensorflow.serving.SavedModelBundleSourceAdapter.SavedModelBundleSourceAdapterConfig;
import tensorflow.serving.SessionBundleConfigOuterClass.SessionBundleConfig;

/**
 * Reads TF Serving's text-format configuration files ({@code --model_config_file}, {@code
 * --batching_parameters_file}, {@code --monitoring_config_file}, {@code --platform_config_file}) and turns a {@code
 * ModelServerConfig} into the lifecycle's model configs.
 */
public final class ServerConfigs {
  private ServerConfigs() {}

  /**
   * Parses a text-format {@code tensorflow.serving.ModelServerConfig}.
   *
   * @throws IllegalArgumentException naming the file and the line and column of the problem
   */
  public static ModelServerConfig readModelServerConfig(Path file) throws IOException {
    ModelServerConfig.Builder b = ModelServerConfig.newBuilder();
    parse(file, b);
    return b.build();
  }

  /** Parses a text-format message of {@code builder}'s type from {@code file}. */
  public static <B extends Message.Builder> B parse(Path file, B builder) throws IOException {
    return parse(file, builder, TextFormat.getParser());
  }

  /** The same with {@code parser} (e.g. one that knows the types inside {@code Any} fields). */
  private static <B extends Message.Builder> B parse(Path file, B builder, TextFormat.Parser parser)
      throws IOException {
    String text;
    try {
      text = Files.readString(file);
    } catch (MalformedInputException e) {
      throw new IllegalArgumentException(
          "failed to parse " + file + " as a text-format " + typeName(builder) + ": not UTF-8 text");
    }
    try {
      parser.merge(text, builder);
    } catch (TextFormat.ParseException e) {
      throw new IllegalArgumentException(
          "failed to parse " + file + " as a text-format " + typeName(builder) + ": " + TextErrors.describe(e), e);
    }
    return builder;
  }

  private static String typeName(Message.Builder b) {
    return b.getDescriptorForType().getFullName();
  }

  /**
   * Refuses a model whose platform is not TensorFlow as TF Serving's ServerCore does: the
   * deprecated {@code model_type} with {@code model_platform} too, or a type other than TENSORFLOW,
   * is INVALID_ARGUMENT; a {@code model_platform} other than {@code tensorflow} FAILED_PRECONDITION
   * ("PlatformConfigMap has no entry for platform ..."). The code travels as the cause.
   */
  private static void checkPlatform(ModelServerConfigOuterClass.ModelConfig m) {
    String model = "model '" + m.getName() + "': ";
    if (m.getModelTypeValue() != 0) {
      if (!m.getModelPlatform().isEmpty()) {
        throw new IllegalArgumentException(
            model + "Illegal setting both ModelServerConfig::model_type (deprecated) and"
                + " ModelServerConfig::model_platform, model name is " + m.getName());
      }
      if (m.getModelType() != ModelServerConfigOuterClass.ModelType.TENSORFLOW) {
        throw new IllegalArgumentException(
            model + "ModelServerConfig::model_type choice " + m.getModelTypeValue() + " not supported.");
      }
      return;
    }
    if (!m.getModelPlatform().isEmpty() && !m.getModelPlatform().equals("tensorflow")) {
      String msg =
          model + "field model_platform: PlatformConfigMap has no entry for platform "
              + m.getModelPlatform() + " (tfkit serves the 'tensorflow' platform only, as TF Serving's"
              + " open-source server)";
      throw new IllegalArgumentException(
          msg, new RequestException(RequestException.Code.FAILED_PRECONDITION, msg));
    }
  }

  /**
   * The models of a {@code ModelServerConfig} as lifecycle configs; relative base paths resolve
   * against {@code baseDir}.
   *
   * @throws IllegalArgumentException naming the model and field that cannot be served
   */
  public static List<ModelConfig> models(ModelServerConfig config, Path baseDir) {
    if (config.getConfigCase() == ModelServerConfig.ConfigCase.CUSTOM_MODEL_CONFIG) {
      // TF Serving's open-source server has no custom_model_config_loader and refuses it
      // (INVALID_ARGUMENT "Missing custom_model_config_loader in ServerCore Options").
      throw new IllegalArgumentException(
          "ModelServerConfig field custom_model_config cannot be served: Missing"
              + " custom_model_config_loader in ServerCore Options (as in TF Serving, only"
              + " model_config_list is served; list the models there)");
    }
    List<ModelConfig> out = new ArrayList<>();
    for (var m : config.getModelConfigList().getConfigList()) {
      if (m.getName().isEmpty()) {
        throw new IllegalArgumentException("a model config has no name");
      }
      if (m.getBasePath().isEmpty()) {
        throw new IllegalArgumentException("model '" + m.getName() + "' has no base_path");
      }
      checkPlatform(m);
      if (m.hasLoggingConfig()) {
        RequestLogs.check(m.getName(), m.getLoggingConfig(), baseDir);
      }
      Path base = baseDir.resolve(m.getBasePath()).toAbsolutePath().normalize();
      out.add(
          new ModelConfig(
              m.getName(), base, policy(m.getName(), m.getModelVersionPolicy()), m.getVersionLabelsMap()));
    }
    return out;
  }

  /**
   * Reads a {@code --batching_parameters_file}; unset parameters take TF Serving's defaults.
   *
   * @throws IllegalArgumentException naming the file and the problem
   */
  public static BatchingOptions readBatching(Path file) {
    return batching(BatchingParameters.read(file), file.toString());
  }

  private static BatchingOptions batching(
      BatchingParameters p, String source) {
    BatchingOptions d = BatchingOptions.defaults();
    try {
      return new BatchingOptions(
          (int) Math.min(Integer.MAX_VALUE, p.maxBatchSize().orElse(d.maxBatchSize())),
          p.batchTimeoutMicros().orElse(d.batchTimeoutMicros()),
          (int) Math.min(1024, p.numBatchThreads().orElse(d.numBatchThreads())),
          (int) Math.min(Integer.MAX_VALUE, p.maxEnqueuedBatches().orElse(d.maxEnqueuedBatches())),
          p.allowedBatchSizes().stream().map(v -> (int) Math.min(Integer.MAX_VALUE, v)).toList(),
          p.padVariableLengthInputs(),
          p.enableLargeBatchSplitting(),
          // TF Serving: without max_execution_batch_size, splitting executes max_batch_size rows.
          p.enableLargeBatchSplitting()
              ? (int) Math.min(Integer.MAX_VALUE, p.maxExecutionBatchSize().orElse(0))
              : 0);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** The Any type of the "tensorflow" platform's source adapter config. */
  private static final String ADAPTER_TYPE_URL =
      "type.googleapis.com/" + SavedModelBundleSourceAdapterConfig.getDescriptor().getFullName();

  /**
   * Reads a {@code --platform_config_file}: a text-format {@code PlatformConfigMap} whose {@code
   * tensorflow} platform holds a {@code SavedModelBundleSourceAdapterConfig} (written as {@code
   * [type.googleapis.com/tensorflow.serving.SavedModelBundleSourceAdapterConfig] { legacy_config {
   * ... } }}). Of its {@code legacy_config} tfkit applies {@code batching_parameters}, {@code
   * enable_model_warmup}, {@code model_warmup_options.num_request_iterations} and, of {@code
   * session_config}, {@code intra_op_parallelism_threads}, {@code inter_op_parallelism_threads} and
   * {@code allow_soft_placement}; {@code saved_model_tags} may only be "serve".
   *
   * @throws IllegalArgumentException naming the file and the field tfkit does not apply
   */
  public static PlatformSettings readPlatformConfig(Path file) throws IOException {
    // Its Any fields hold a SavedModelBundleSourceAdapterConfig, written out in the text.
    PlatformConfigMap.Builder b = parse(file, PlatformConfigMap.newBuilder(),
        TextFormat.Parser.newBuilder()
            .setTypeRegistry(TypeRegistry.newBuilder().add(SavedModelBundleSourceAdapterConfig.getDescriptor()).build())
            .build());
    String at = file + ": ";
    for (String platform : b.getPlatformConfigsMap().keySet()) {
      if (!platform.equals("tensorflow")) {
        throw new IllegalArgumentException(
            at + "platform '" + platform + "' is not supported (tfkit serves only 'tensorflow')");
      }
    }
    if (!b.containsPlatformConfigs("tensorflow")) {
      throw new IllegalArgumentException(at + "has no platform_configs entry for 'tensorflow'");
    }
    Any any = b.getPlatformConfigsOrThrow("tensorflow").getSourceAdapterConfig();
    if (!any.getTypeUrl().equals(ADAPTER_TYPE_URL)) {
      throw new IllegalArgumentException(
          at + "platform 'tensorflow': source_adapter_config is a '" + any.getTypeUrl()
              + "'; tfkit reads only " + ADAPTER_TYPE_URL);
    }
    SessionBundleConfig c;
    try {
      c = any.unpack(SavedModelBundleSourceAdapterConfig.class).getLegacyConfig();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(at + "source_adapter_config does not parse: " + e.getMessage());
    }
    String lc = at + "legacy_config.";
    boolean warmup = false;
    int iterations = 1;
    boolean softPlacement = false;
    int intra = 0;
    int inter = 0;
    Optional<BatchingOptions> batching = Optional.empty();
    for (var f : c.getAllFields().entrySet()) {
      String name = f.getKey().getName();
      switch (name) {
        case "enable_model_warmup" -> warmup = c.getEnableModelWarmup();
        case "batching_parameters" -> {
          try {
            batching =
                Optional.of(
                    batching(
                        BatchingParameters.fromProto(c.getBatchingParameters()),
                        lc + "batching_parameters"));
          } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(lc)
                ? e
                : new IllegalArgumentException(lc + "batching_parameters: " + e.getMessage(), e);
          }
        }
        case "saved_model_tags" -> {
          if (!c.getSavedModelTagsList().equals(List.of("serve"))) {
            throw new IllegalArgumentException(
                lc + "saved_model_tags " + c.getSavedModelTagsList() + " is not supported (tfkit loads the 'serve' tag)");
          }
        }
        case "model_warmup_options" -> {
          var w = c.getModelWarmupOptions();
          for (var wf : w.getAllFields().keySet()) {
            if (!wf.getName().equals("num_request_iterations")) {
              throw new IllegalArgumentException(
                  lc + "model_warmup_options." + wf.getName() + " is not supported by tfkit");
            }
          }
          if (w.hasNumRequestIterations()) {
            // TF Serving replays each record this many times, so 0 (or less) replays nothing.
            iterations = w.getNumRequestIterations().getValue();
          }
        }
        case "session_config" -> {
          var sc = c.getSessionConfig();
          for (var sf : sc.getAllFields().keySet()) {
            switch (sf.getName()) {
              case "intra_op_parallelism_threads" -> intra = sc.getIntraOpParallelismThreads();
              case "inter_op_parallelism_threads" -> inter = sc.getInterOpParallelismThreads();
              case "allow_soft_placement" -> softPlacement = sc.getAllowSoftPlacement();
              default ->
                  throw new IllegalArgumentException(
                      lc + "session_config." + sf.getName() + " is not supported by tfkit (it applies"
                          + " intra_op_parallelism_threads, inter_op_parallelism_threads, allow_soft_placement)");
            }
          }
        }
        default ->
            throw new IllegalArgumentException(
                lc + name + " is not supported by tfkit (it applies batching_parameters, enable_model_warmup,"
                    + " model_warmup_options.num_request_iterations, session_config, saved_model_tags: serve)");
      }
    }
    SessionThreads threads;
    try {
      threads = new SessionThreads(0, Math.max(0, intra), Math.max(-1, inter));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(lc + "session_config: " + e.getMessage(), e);
    }
    return new PlatformSettings(batching, warmup && iterations > 0, Math.max(1, iterations), threads, softPlacement);
  }

  /**
   * What a {@code --platform_config_file} sets: it replaces the batching, warmup and session flags,
   * as in TF Serving.
   */
  public record PlatformSettings(
      Optional<BatchingOptions> batching,
      boolean warmup,
      int warmupIterations,
      SessionThreads threads,
      boolean allowSoftPlacement) {}

  /** Reads a {@code --monitoring_config_file} (text-format {@code MonitoringConfig}). */
  public static MonitoringConfigOuterClass.MonitoringConfig readMonitoring(Path file)
      throws IOException {
    return parse(file, MonitoringConfigOuterClass.MonitoringConfig.newBuilder()).build();
  }

  static VersionPolicy policy(String model, ServableVersionPolicy p) {
    return switch (p.getPolicyChoiceCase()) {
      case LATEST ->
          VersionPolicy.latest(p.getLatest().getNumVersions() == 0 ? 1 : p.getLatest().getNumVersions());
      case ALL -> VersionPolicy.all();
      case SPECIFIC -> {
        if (p.getSpecific().getVersionsCount() == 0) {
          throw new IllegalArgumentException(
              "model '" + model + "': model_version_policy specific lists no versions");
        }
        yield VersionPolicy.specific(p.getSpecific().getVersionsList());
      }
      case POLICYCHOICE_NOT_SET -> VersionPolicy.latest();
    };
  }
}
