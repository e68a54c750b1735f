package dev.tfkit.cli;

import dev.tfkit.search.LatentSearch;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tfkit latent-index}: builds the latent-search SavedModel from an embeddings file and a names file. */
@Command(
    name = "latent-index",
    description = {
      "Build the latent-search SavedModel from an embeddings file and a names file.",
      "Inputs target_latent, k_num; outputs xvals, indices, filenames. The embeddings file is raw"
          + " little-endian float32; the names file has one line per row."
    })
final class LatentIndexCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--latents", required = true, paramLabel = "FILE", description = "Raw little-endian float32 embeddings, rows of --dim values.")
  Path latents;

  @Option(names = "--dim", required = true, paramLabel = "D", description = "Embedding width.")
  int dim;

  @Option(names = "--names", required = true, paramLabel = "FILE", description = "One name per embedding row.")
  Path names;

  @Option(names = "--export_dir", required = true, paramLabel = "DIR", description = "The SavedModel folder to write (must not exist unless --overwrite).")
  Path exportDir;

  @Option(names = "--overwrite", description = "Replace an existing export folder.")
  boolean overwrite;

  @Override
  public void run() {
    LatentSearch search = LatentSearch.fromFiles(latents, dim, names);
    Path out = search.exporter().overwrite(overwrite).exportTo(exportDir);
    spec.commandLine().getOut().println("latent index of " + search.rows() + " rows x " + search.dim() + " written to " + out);
    spec.commandLine().getOut().flush();
  }
}
