package dev.tfkit.server;

import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.tfkit.server.lifecycle.ModelConfig;
import dev.tfkit.server.lifecycle.VersionPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tensorflow.serving.FileSystemStoragePathSource.FileSystemStoragePathSourceConfig.ServableVersionPolicy;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;

/**
 * Reads TF Serving's text-format configuration files ({@code --model_config_file}, {@code
 * --batching_parameters_file}, {@code --monitoring_config_file}) and turns a {@code
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
    String text;
    try {
      text = Files.readString(file);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new IllegalArgumentException(
          "failed to parse " + file + " as a text-format " + typeName(builder) + ": not UTF-8 text");
    }
    try {
      TextFormat.getParser().merge(text, builder);
    } catch (TextFormat.ParseException e) {
      throw new IllegalArgumentException(
          "failed to parse "
              + file
              + " as a text-format "
              + typeName(builder)
              + " at line "
              + e.getLine()
              + ", column "
              + e.getColumn()
              + ": "
              + e.getMessage(),
          e);
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
  private static void checkPlatform(tensorflow.serving.ModelServerConfigOuterClass.ModelConfig m) {
    String model = "model '" + m.getName() + "': ";
    if (m.getModelTypeValue() != 0) {
      if (!m.getModelPlatform().isEmpty()) {
        throw new IllegalArgumentException(
            model + "Illegal setting both ModelServerConfig::model_type (deprecated) and"
                + " ModelServerConfig::model_platform, model name is " + m.getName());
      }
      if (m.getModelType() != tensorflow.serving.ModelServerConfigOuterClass.ModelType.TENSORFLOW) {
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
          msg, new dev.tfkit.server.RequestException(dev.tfkit.server.RequestException.Code.FAILED_PRECONDITION, msg));
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
  public static dev.tfkit.server.tensorflow.BatchingOptions readBatching(Path file) {
    dev.tfkit.docker.BatchingParameters p = dev.tfkit.docker.BatchingParameters.read(file);
    dev.tfkit.server.tensorflow.BatchingOptions d = dev.tfkit.server.tensorflow.BatchingOptions.defaults();
    try {
      return new dev.tfkit.server.tensorflow.BatchingOptions(
          (int) Math.min(Integer.MAX_VALUE, p.maxBatchSize().orElse(d.maxBatchSize())),
          p.batchTimeoutMicros().orElse(d.batchTimeoutMicros()),
          (int) Math.min(1024, p.numBatchThreads().orElse(d.numBatchThreads())),
          (int) Math.min(Integer.MAX_VALUE, p.maxEnqueuedBatches().orElse(d.maxEnqueuedBatches())));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a {@code --monitoring_config_file} (text-format {@code MonitoringConfig}). */
  public static tensorflow.serving.MonitoringConfigOuterClass.MonitoringConfig readMonitoring(Path file)
      throws IOException {
    return parse(file, tensorflow.serving.MonitoringConfigOuterClass.MonitoringConfig.newBuilder()).build();
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
