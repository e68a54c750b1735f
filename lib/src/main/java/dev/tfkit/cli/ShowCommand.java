package dev.tfkit.cli;

import dev.tfkit.graph.GraphDescription;
import dev.tfkit.graph.ModelGraph;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tfkit show PATH}: signatures, assets, variables and node summary of any model format. */
@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    description = {
      "Show a model: signatures, assets, variables and a node summary (like saved_model_cli show --all).",
      "Works for SavedModels, frozen .pb/.pbtxt graphs, TF1 checkpoints and TF.js graph models."
    })
final class ShowCommand implements Runnable {
  @Parameters(index = "0", paramLabel = "PATH", description = "Model file or folder.")
  Path path;

  @Option(names = "--tag_set", split = ",", description = "SavedModel tags of the meta graph to show (default: serve).")
  String[] tags = new String[0];

  @Option(names = "--nodes", paramLabel = "REGEX", description = "Also list nodes whose name or op matches REGEX, with dtypes and shapes.")
  String nodes;

  @Override
  public void run() {
    try (ModelGraph g = ModelGraph.load(path, tags)) {
      System.out.print(GraphDescription.describe(g, nodes));
    }
  }
}
