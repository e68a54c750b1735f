package dev.tfkit.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.tfkit.io.TfRecords;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.tensorflow.proto.TensorProto;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;
import tensorflow.serving.InputOuterClass;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;

/**
 * {@code tfkit logs}: prints the records of a request log file ({@code PredictionLog} TFRecords, as
 * {@code tfkit serve} writes for a model with a {@code logging_config}, and as TF Serving's warmup
 * files hold), one line per record.
 */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = {
      "Print a request log (TFRecord file of tensorflow.serving.PredictionLog), one line per record.",
      "Also reads a .tfrecord.tmp file still being written (up to its last whole record)."
    })
final class LogsCommand implements Callable<Integer> {
  @Parameters(arity = "1..*", paramLabel = "FILE", description = "TFRecord files of PredictionLog.")
  List<Path> files;

  @Option(names = "--json", description = "Print each record as one line of JSON (protobuf's JSON mapping).")
  boolean json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();
    for (Path file : files) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(file + " is not a file");
      }
      List<byte[]> records =
          file.getFileName().toString().endsWith(".tmp")
              ? TfRecords.readWholeRecords(file)
              : TfRecords.read(file);
      for (int i = 0; i < records.size(); i++) {
        PredictionLog log;
        try {
          log = PredictionLog.parseFrom(records.get(i));
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalArgumentException(
              file + ": record " + i + " is not a tensorflow.serving.PredictionLog: " + e.getMessage());
        }
        if (json) {
          try {
            out.println(printer.print(log));
          } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(file + ": record " + i + ": " + e.getMessage());
          }
        } else {
          out.println((files.size() > 1 ? file + " " : "") + "#" + i + " " + line(log));
        }
      }
    }
    out.flush();
    return 0;
  }

  /** One record as text: time, model spec, type and a summary of request and response. */
  static String line(PredictionLog log) {
    var m = log.getLogMetadata();
    var spec = m.getModelSpec();
    StringBuilder b = new StringBuilder();
    b.append(m.getTimestampSecs() > 0 ? Instant.ofEpochSecond(m.getTimestampSecs()).toString() : "-");
    b.append(" model=").append(spec.getName().isEmpty() ? "-" : spec.getName());
    if (spec.hasVersion()) {
      b.append(" version=").append(spec.getVersion().getValue());
    } else if (!spec.getVersionLabel().isEmpty()) {
      b.append(" label=").append(spec.getVersionLabel());
    }
    if (!spec.getSignatureName().isEmpty()) {
      b.append(" signature=").append(spec.getSignatureName());
    }
    switch (log.getLogTypeCase()) {
      case PREDICT_LOG -> {
        var p = log.getPredictLog();
        b.append(" predict inputs=").append(tensors(p.getRequest().getInputsMap()));
        b.append(" outputs=").append(tensors(p.getResponse().getOutputsMap()));
      }
      case CLASSIFY_LOG -> {
        var c = log.getClassifyLog();
        b.append(" classify examples=").append(examples(c.getRequest().getInput()));
        b.append(" classifications=").append(c.getResponse().getResult().getClassificationsCount());
      }
      case REGRESS_LOG -> {
        var r = log.getRegressLog();
        b.append(" regress examples=").append(examples(r.getRequest().getInput()));
        b.append(" regressions=").append(r.getResponse().getResult().getRegressionsCount());
      }
      case MULTI_INFERENCE_LOG -> {
        var mi = log.getMultiInferenceLog();
        b.append(" multi_inference tasks=").append(mi.getRequest().getTasksCount());
        b.append(" examples=").append(examples(mi.getRequest().getInput()));
        b.append(" results=").append(mi.getResponse().getResultsCount());
      }
      default -> b.append(' ').append(log.getLogTypeCase().name().toLowerCase(Locale.ROOT));
    }
    return b.toString();
  }

  private static String tensors(Map<String, TensorProto> m) {
    return m.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(
            e ->
                e.getKey() + ":" + e.getValue().getDtype().name().replaceFirst("^DT_", "").toLowerCase(Locale.ROOT)
                    + e.getValue().getTensorShape().getDimList().stream()
                        .map(d -> Long.toString(d.getSize()))
                        .collect(Collectors.joining(",", "[", "]")))
        .collect(Collectors.joining(" ", "{", "}"));
  }

  private static int examples(InputOuterClass.Input in) {
    return switch (in.getKindCase()) {
      case EXAMPLE_LIST -> in.getExampleList().getExamplesCount();
      case EXAMPLE_LIST_WITH_CONTEXT -> in.getExampleListWithContext().getExamplesCount();
      default -> 0;
    };
  }
}
