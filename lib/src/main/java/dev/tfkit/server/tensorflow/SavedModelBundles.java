package dev.tfkit.server.tensorflow;

import dev.tfkit.savedmodel.LegacySignatures;
import dev.tfkit.savedmodel.SavedModelInfo;
import dev.tfkit.tensor.DataTypes;
import dev.tfkit.tensor.NativeLimits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TString;
import tensorflow.serving.InputOuterClass.Input;

/**
 * Loads a version folder into a {@link SavedModelServable}, as TF Serving's bundle factory does: a
 * SavedModel (checked against TensorFlow's fatal limits and for a half-copied checkpoint first;
 * one whose signatures TF Java refuses is loaded without them, those signatures reported as
 * broken), or a legacy TF1 export ({@code export.meta} + checkpoint) with its signatures
 * up-converted.
 */
final class SavedModelBundles {
  private static final System.Logger LOG = System.getLogger("dev.tfkit.server");
  private static final String INIT_OP_SIGNATURE = "__saved_model_init_op";

  private SavedModelBundles() {}

  /** Loads {@code dir}; see {@link SavedModelServable#load(Path, InputValidator)}. */
  static SavedModelServable load(Path dir, InputValidator validator, SessionOptions threads)
      throws IOException {
    if (Files.isRegularFile(dir.resolve("saved_model.pb"))
        || Files.isRegularFile(dir.resolve("saved_model.pbtxt"))) {
      try {
        // Refuse what would abort the process inside TensorFlow, and half-copied folders.
        SavedModelInfo info =
            SavedModelInfo.read(dir).checkNativeLimits();
        info.checkVariablesPresent("serve");
      } catch (RuntimeException e) {
        throw new IOException("failed to load SavedModel " + dir + ": " + e.getMessage(), e);
      }
      SavedModelBundle bundle;
      try {
        bundle = loadBundle(dir, threads);
      } catch (IllegalArgumentException e) {
        // TF Java refuses the whole model when one signature does not match its graph (a declared
        // dtype differing from the tensor's, a tensor that is not there); TF Serving loads such a
        // model and fails only that signature's requests. Load it without those signatures.
        return loadWithoutBrokenSignatures(dir, validator, threads, e);
      } catch (RuntimeException e) {
        throw new IOException("failed to load SavedModel " + dir + ": " + threads.explain(String.valueOf(e.getMessage())), e);
      }
      return new SavedModelServable(bundle, bundle.session(), bundle.metaGraphDef(), validator, Map.of());
    }
    if (Files.isRegularFile(dir.resolve("export.meta"))) {
      return loadLegacy(dir, validator, threads);
    }
    throw new IOException(
        "Could not find SavedModel .pb or .pbtxt at supplied export directory path: " + dir);
  }
  private static SavedModelBundle loadBundle(Path dir, SessionOptions threads) {
    return SavedModelBundle.loader(dir.toString())
        .withTags("serve")
        .withConfigProto(threads.configProto())
        .load();
  }

  /**
   * Loads a SavedModel whose signatures TF Java refused (it checks each signature's declared dtype
   * and shape against the graph, and refuses the whole model for one mismatch; TensorFlow's loader
   * and TF Serving do not): loads a copy of the folder whose {@code saved_model.pb} has no
   * signatures but TF2's init op (every other entry linked, not copied; tfkit runs signatures by
   * tensor name, never through TF Java's signature functions), then checks each signature against
   * the loaded graph. One naming a tensor the graph lacks, or declaring another dtype, is kept as
   * broken: listed in metadata, its requests refused with the reason. A declared shape that differs
   * from the graph's breaks nothing: requests are checked against the graph's shape.
   */
  private static SavedModelServable loadWithoutBrokenSignatures(
      Path dir, InputValidator validator, SessionOptions threads, IllegalArgumentException cause)
      throws IOException {
    SavedModelInfo info;
    MetaGraphDef meta;
    try {
      info = SavedModelInfo.read(dir);
      meta = info.metaGraph("serve");
    } catch (RuntimeException e) {
      throw new IOException(
          "failed to load SavedModel " + dir + ": " + threads.explain(String.valueOf(cause.getMessage())), cause);
    }
    SavedModel.Builder model = info.proto().toBuilder();
    for (int i = 0; i < model.getMetaGraphsCount(); i++) {
      MetaGraphDef.Builder mg = model.getMetaGraphsBuilder(i);
      SignatureDef init = mg.getSignatureDefMap().get(INIT_OP_SIGNATURE);
      mg.clearSignatureDef();
      if (init != null) {
        mg.putSignatureDef(INIT_OP_SIGNATURE, init);
      }
    }
    Path copy = Files.createTempDirectory("tfkit-signatures-");
    try {
      try (var entries = Files.list(dir)) {
        for (Path p : (Iterable<Path>) entries::iterator) {
          String name = p.getFileName().toString();
          if (!name.equals("saved_model.pb") && !name.equals("saved_model.pbtxt")) {
            Files.createSymbolicLink(copy.resolve(name), p.toAbsolutePath());
          }
        }
      }
      Files.write(copy.resolve("saved_model.pb"), model.build().toByteArray());
      SavedModelBundle bundle;
      try {
        bundle = loadBundle(copy, threads);
      } catch (RuntimeException e) {
        // Not a signature problem after all: report what the model's own load said.
        IOException failure =
            new IOException("failed to load SavedModel " + dir + ": " + threads.explain(String.valueOf(cause.getMessage())), cause);
        failure.addSuppressed(e);
        throw failure;
      }
      Map<String, String> broken = brokenSignatures(meta, bundle.graph());
      for (Map.Entry<String, String> b : broken.entrySet()) {
        LOG.log(
            System.Logger.Level.WARNING,
            "SavedModel " + dir + ": signature \"" + b.getKey() + "\" cannot be served and its"
                + " requests will fail (the model's other signatures serve): " + b.getValue());
      }
      AutoCloseable owner =
          () -> {
            try {
              bundle.close();
            } finally {
              deleteCopy(copy);
            }
          };
      return new SavedModelServable(owner, bundle.session(), meta, validator, broken);
    } catch (IOException | RuntimeException | Error e) {
      deleteCopy(copy);
      throw e;
    }
  }

  private static void deleteCopy(Path copy) {
    try (var entries = Files.list(copy)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        Files.deleteIfExists(p); // links and the rewritten saved_model.pb; never a link's target
      }
      Files.deleteIfExists(copy);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "could not delete " + copy + ": " + e.getMessage());
    }
  }

  /**
   * The signatures of {@code meta} that name a tensor {@code g} lacks or declare a dtype other
   * than the tensor's, each with the reason (in TF Java's and TensorFlow's words).
   */
  static Map<String, String> brokenSignatures(MetaGraphDef meta, Graph g) {
    Map<String, String> broken = new TreeMap<>();
    for (Map.Entry<String, SignatureDef> s : meta.getSignatureDefMap().entrySet()) {
      if (s.getKey().equals(INIT_OP_SIGNATURE)) {
        continue;
      }
      String reason = null;
      for (var io : List.of(Map.entry("Input", s.getValue().getInputsMap()), Map.entry("Output", s.getValue().getOutputsMap()))) {
        for (Map.Entry<String, TensorInfo> t : new TreeMap<>(io.getValue()).entrySet()) {
          reason = mismatch(io.getKey(), t.getKey(), t.getValue(), g);
          if (reason != null) {
            break;
          }
        }
        if (reason != null) {
          break;
        }
      }
      if (reason != null) {
        broken.put(s.getKey(), reason);
      }
    }
    return broken;
  }

  private static String mismatch(String kind, String alias, TensorInfo info, Graph g) {
    if (info.getEncodingCase() != TensorInfo.EncodingCase.NAME) {
      return null;
    }
    String tensor = info.getName();
    TensorRef ref = TensorRef.parse(tensor);
    if (ref == null) {
      return kind + " \"" + alias + "\" names tensor \"" + tensor + "\", which is not a tensor name";
    }
    String node = ref.node();
    int index = ref.index();
    var op = g.operation(node);
    if (op == null) {
      return kind + " \"" + alias + "\"'s tensor \"" + tensor + "\" is not in the graph";
    }
    if (index < 0 || index >= op.numOutputs()) {
      return kind + " \"" + alias + "\"'s tensor \"" + tensor + "\" is not in the graph (node \""
          + node + "\" has " + op.numOutputs() + " outputs)";
    }
    DataType inGraph = DataTypes.base(op.output(index).dataType());
    DataType declared = DataTypes.base(info.getDtype());
    if (inGraph != declared) {
      return kind + " \"" + alias + "\"'s tensor \"" + tensor + "\" has data type " + inGraph
          + " in the graph, but the signature declares " + info.getDtype();
    }
    return null;
  }

  private static SavedModelServable loadLegacy(
      Path dir, InputValidator validator, SessionOptions threads) throws IOException {
    MetaGraphDef meta;
    try (InputStream in = Files.newInputStream(dir.resolve("export.meta"))) {
      meta = MetaGraphDef.parseFrom(in);
    }
    try {
      NativeLimits.checkMetaGraph(meta, dir.resolve("export.meta").toString());
    } catch (IllegalArgumentException e) {
      throw new IOException("failed to load TF1 export " + dir + ": " + e.getMessage(), e);
    }
    Graph g = new Graph();
    Session s = null;
    try {
      g.importGraphDef(meta.getGraphDef());
      s = new Session(g, threads.configProto());
      SaverDef saver = meta.getSaverDef();
      if (!saver.getRestoreOpName().isEmpty()) {
        try (TString prefix = TString.scalarOf(legacyVariables(dir))) {
          s.runner()
              .feed(saver.getFilenameTensorName(), prefix)
              .addTarget(saver.getRestoreOpName())
              .run()
              .close();
        }
      }
      // As TF Serving 1.x loaded a SessionBundle: the legacy init op after the restore, asset
      // tensors fed with the files' real paths, and the legacy signatures up-converted.
      Optional<String> init = LegacySignatures.initOp(meta);
      if (init.isPresent()) {
        List<Tensor> assetPaths = new ArrayList<>();
        try {
          Session.Runner r = s.runner().addTarget(init.get());
          for (Map.Entry<String, String> a : LegacySignatures.assets(meta).entrySet()) {
            TString path = TString.scalarOf(dir.resolve("assets").resolve(a.getValue()).toString());
            assetPaths.add(path);
            r.feed(a.getKey(), path);
          }
          r.run().close();
        } finally {
          assetPaths.forEach(Tensor::close);
        }
      }
      if (LegacySignatures.present(meta)) {
        Map<String, SignatureDef> sigs =
            LegacySignatures.signatureDefs(meta, t -> dtypeOf(g, t));
        meta = meta.toBuilder().clearSignatureDef().putAllSignatureDef(sigs).build();
      }
    } catch (RuntimeException e) {
      if (s != null) {
        s.close();
      }
      g.close();
      throw new IOException("failed to load TF1 export " + dir + ": " + threads.explain(String.valueOf(e.getMessage())), e);
    }
    Session session = s;
    AutoCloseable owner =
        () -> {
          session.close();
          g.close();
        };
    return new SavedModelServable(owner, session, meta, validator, Map.of());
  }

  /**
   * The checkpoint a legacy export restores from, as its loader found it: {@code export} (one V1
   * file, or a V2 prefix), else the sharded V1 pattern {@code export-?????-of-?????}.
   */
  private static String legacyVariables(Path dir) throws IOException {
    if (Files.exists(dir.resolve("export")) || Files.exists(dir.resolve("export.index"))) {
      return dir.resolve("export").toString();
    }
    try (var files = Files.list(dir)) {
      if (files.anyMatch(f -> f.getFileName().toString().matches("export-\\d{5}-of-\\d{5}"))) {
        return dir.resolve("export-?????-of-?????").toString();
      }
    }
    throw new IOException("legacy export " + dir + " has export.meta but no checkpoint (export, export.index or export-NNNNN-of-NNNNN)");
  }

  /** The dtype of tensor {@code node:index} in {@code g} (a ref dtype as its value dtype), or null. */
  private static DataType dtypeOf(Graph g, String tensor) {
    TensorRef ref = TensorRef.parse(tensor);
    var op = ref == null ? null : g.operation(ref.node());
    if (op == null || ref.index() < 0 || ref.index() >= op.numOutputs()) {
      return null;
    }
    return DataTypes.base(op.output(ref.index()).dataType());
  }

  /** A tensor name {@code node:index} ({@code node} alone is output 0). */
  private record TensorRef(String node, int index) {
    /** The parts of {@code tensor}, or null when what follows the last colon is not a number. */
    static TensorRef parse(String tensor) {
      int colon = tensor.lastIndexOf(':');
      if (colon < 0) {
        return new TensorRef(tensor, 0);
      }
      try {
        return new TensorRef(tensor.substring(0, colon), Integer.parseInt(tensor.substring(colon + 1)));
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }
}
