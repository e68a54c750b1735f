package dev.tfkit.cli;

import dev.tfkit.graph.GraphExport;
import dev.tfkit.graph.ModelGraph;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tfkit export SRC --input NAME=TENSOR ... --output NAME=TENSOR ... (--export_dir DIR |
 * --base_path BASE)}: cut, freeze, extract, strip and write a servable SavedModel.
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Export part of a model as a SavedModel with a serving_default predict signature.",
      "Loads SRC, cuts at the inputs, freezes variables, keeps what the outputs need, strips training nodes."
    })
final class ExportCommand implements Runnable {
  @Parameters(index = "0", paramLabel = "SRC", description = "Model file or folder (any format `tfkit show` reads).")
  Path source;

  @Option(names = "--input", paramLabel = "NAME=TENSOR", description = "Signature input NAME fed at TENSOR (node:index); internal tensors become placeholders.")
  Map<String, String> inputs = new LinkedHashMap<>();

  @Option(names = "--output", required = true, paramLabel = "NAME=TENSOR", description = "Signature output NAME read from TENSOR.")
  Map<String, String> outputs = new LinkedHashMap<>();

  @Option(names = "--tag_set", split = ",", description = "SavedModel tags of the source meta graph (default: serve).")
  String[] tags = new String[0];

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  static final class Target {
    @Option(names = {"--export_dir", "--export-dir"}, paramLabel = "DIR", description = "Write exactly this folder (must not exist).")
    Path exportDir;

    @Option(names = {"--base_path", "--base-path"}, paramLabel = "BASE", description = "Write BASE/<next version>.")
    Path basePath;
  }

  @Override
  public void run() {
    try (ModelGraph g = ModelGraph.load(source, tags)) {
      GraphExport e = GraphExport.from(g);
      inputs.forEach(e::input);
      outputs.forEach(e::output);
      if (target.exportDir != null) e.exportDir(target.exportDir);
      else e.basePath(target.basePath);
      GraphExport.Result r = e.export();
      System.out.println("exported " + r.directory());
      System.out.println(r.sizes());
      r.signature().getInputsMap().forEach((k, v) -> System.out.println("  input  " + k + " = " + v.getName() + " " + v.getDtype()));
      r.signature().getOutputsMap().forEach((k, v) -> System.out.println("  output " + k + " = " + v.getName() + " " + v.getDtype()));
    }
  }
}
