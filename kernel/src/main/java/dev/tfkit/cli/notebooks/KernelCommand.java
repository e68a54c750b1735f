package dev.tfkit.cli.notebooks;

import dev.tfkit.io.TempSiblings;
import dev.tfkit.kernel.spec.ClassDataArchive;
import dev.tfkit.kernel.spec.KernelSpecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code tfkit kernel install|uninstall|list|bench}: the Java Jupyter kernel's kernelspec. */
@Command(
    name = "kernel",
    mixinStandardHelpOptions = true,
    description = "Install, list or remove the Java Jupyter kernel (IJava-compatible, tfkit preloaded).",
    subcommands = {
      KernelCommand.Install.class,
      KernelCommand.Uninstall.class,
      KernelCommand.ListSpecs.class,
      KernelBenchCommand.class,
    })
final class KernelCommand implements Runnable {
  @picocli.CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Where a kernelspec goes: --user (default), --sys-prefix or --prefix DIR. */
  static final class Location {
    @Option(names = "--user", description = "The user's Jupyter data folder (default).")
    boolean user;

    @Option(names = "--sys-prefix", description = "The active Python environment (VIRTUAL_ENV, CONDA_PREFIX) or jupyter's own prefix.")
    boolean sysPrefix;

    @Option(names = "--prefix", paramLabel = "DIR", description = "DIR/share/jupyter/kernels.")
    Path prefix;

    static Path kernelsDir(Location l) {
      Map<String, String> env = System.getenv();
      if (l == null || l.user) return KernelSpecs.userKernelsDir(env);
      if (l.sysPrefix) return KernelSpecs.sysPrefixKernelsDir(env);
      if (l.prefix != null) return KernelSpecs.prefixKernelsDir(l.prefix);
      return KernelSpecs.userKernelsDir(env);
    }
  }

  @Command(name = "install", mixinStandardHelpOptions = true, description = "Write the kernelspec (kernel.json and logos) so jupyter finds the kernel.")
  static final class Install implements Callable<Integer> {
    @ArgGroup(exclusive = true)
    Location location;

    @Option(names = "--name", defaultValue = KernelSpecs.DEFAULT_NAME, description = "Kernel name (default: ${DEFAULT-VALUE}, like IJava).")
    String name;

    @Option(names = "--display-name", defaultValue = KernelSpecs.DEFAULT_DISPLAY_NAME, description = "Name shown in Jupyter (default: ${DEFAULT-VALUE}).")
    String displayName;

    @Option(names = "--java-option", paramLabel = "OPT", description = "Extra JVM option for the kernel, e.g. --java-option=-Xmx8g (repeatable).")
    List<String> javaOptions = new ArrayList<>();

    @Option(names = "--env", paramLabel = "NAME=VALUE", description = "Environment for the kernel, e.g. --env IJAVA_TIMEOUT=60000 (repeatable).")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--class-data-archive", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Make a class-data archive for the kernel's JVM by a training start (a few seconds,"
            + " about 20 MB beside kernel.json): the kernel then starts faster. A rebuilt tfkit or another"
            + " JDK makes it stale; it is then skipped silently (install again). Default: on.")
    boolean classDataArchive;

    @Override
    public Integer call() throws Exception {
      Path dir = Location.kernelsDir(location).toAbsolutePath().normalize();
      List<String> options = new ArrayList<>();
      // Fixtures and caches are found relative to the checkout, wherever the notebook lives.
      String root = System.getProperty("tfkit.repo.root");
      if (root != null && !root.isBlank()) options.add("-Dtfkit.repo.root=" + Path.of(root).toAbsolutePath().normalize());
      options.addAll(javaOptions);
      List<String> argv = KernelSpecs.argv(KernelSpecs.currentJava(), KernelSpecs.currentClasspath(), options);
      Map<String, Path> files = new LinkedHashMap<>();
      Path work = Files.createTempDirectory("tfkit-kernel-cds-");
      try {
        if (classDataArchive) {
          Path archive = work.resolve(ClassDataArchive.FILE_NAME);
          try {
            ClassDataArchive.train(argv, archive, Duration.ofMinutes(2));
            files.put(ClassDataArchive.FILE_NAME, archive);
            argv = ClassDataArchive.using(argv, dir.resolve(name).resolve(ClassDataArchive.FILE_NAME));
          } catch (IOException e) {
            System.err.println("tfkit kernel install: no class-data archive (the kernel starts without one): "
                + String.join("\n  ", e.getMessage().lines().filter(l -> !l.isBlank()).limit(6).toList()));
          }
        }
        Path installed = KernelSpecs.install(dir, name, displayName, argv, env, files);
        System.out.println("installed kernel '" + name + "' (" + displayName + ") in " + installed
            + (files.isEmpty() ? "" : ", with a class-data archive"));
      } finally {
        TempSiblings.deleteTree(work);
      }
      return 0;
    }
  }

  @Command(name = "uninstall", mixinStandardHelpOptions = true, description = "Remove the kernelspec.")
  static final class Uninstall implements Callable<Integer> {
    @ArgGroup(exclusive = true)
    Location location;

    @Option(names = "--name", defaultValue = KernelSpecs.DEFAULT_NAME, description = "Kernel name (default: ${DEFAULT-VALUE}).")
    String name;

    @Override
    public Integer call() throws Exception {
      Path dir = Location.kernelsDir(location);
      if (!KernelSpecs.uninstall(dir, name)) {
        throw new IllegalArgumentException("no kernel '" + name + "' in " + dir);
      }
      System.out.println("removed kernel '" + name + "' from " + dir);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the kernelspecs jupyter can see (tfkit's marked with *).")
  static final class ListSpecs implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      var all = KernelSpecs.list(System.getenv());
      if (all.isEmpty()) System.out.println("no kernels installed");
      int w = all.stream().mapToInt(k -> k.name().length()).max().orElse(4);
      for (var k : all) {
        System.out.printf("%s %-" + w + "s  %-24s %s%n", k.tfkit() ? "*" : " ", k.name(), k.displayName(), k.dir());
      }
      return 0;
    }
  }
}
