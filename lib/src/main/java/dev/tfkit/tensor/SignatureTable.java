package dev.tfkit.tensor;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Signatures as a Tablesaw table, one row per input and output: [tags,] signature, method, io
 * ({@code input} / {@code output}), key, graph tensor, dtype and shape ({@code [-1, 3]}, {@code -1}
 * for an unknown dimension, {@code ?} for an unknown rank). One layout for a SavedModel on disk
 * ({@code SavedModelInfo.table()}, with its meta graphs' tags) and a served model's metadata
 * ({@code ModelMetadata.table()}); rows sorted by signature, then key.
 */
public final class SignatureTable {
  private final StringColumn tags;
  private final StringColumn sig = StringColumn.create("signature");
  private final StringColumn method = StringColumn.create("method");
  private final StringColumn io = StringColumn.create("io");
  private final StringColumn key = StringColumn.create("key");
  private final StringColumn tensor = StringColumn.create("tensor");
  private final StringColumn dtype = StringColumn.create("dtype");
  private final StringColumn shape = StringColumn.create("shape");

  private SignatureTable(boolean withTags) {
    this.tags = withTags ? StringColumn.create("tags") : null;
  }

  /** An empty table with a {@code tags} column first (for meta graphs) or without. */
  public static SignatureTable create(boolean withTags) {
    return new SignatureTable(withTags);
  }

  /** Adds the rows of {@code signatures}; {@code tagsText} fills the tags column (ignored without one). */
  public SignatureTable add(String tagsText, Map<String, SignatureDef> signatures) {
    for (Map.Entry<String, SignatureDef> s : new TreeMap<>(signatures).entrySet()) {
      for (String dir : new String[] {"input", "output"}) {
        Map<String, TensorInfo> infos =
            dir.equals("input") ? s.getValue().getInputsMap() : s.getValue().getOutputsMap();
        for (Map.Entry<String, TensorInfo> e : new TreeMap<>(infos).entrySet()) {
          if (tags != null) tags.append(tagsText);
          sig.append(s.getKey());
          method.append(s.getValue().getMethodName());
          io.append(dir);
          key.append(e.getKey());
          tensor.append(e.getValue().getName());
          dtype.append(e.getValue().getDtype().name());
          shape.append(shapeText(e.getValue().getTensorShape()));
        }
      }
    }
    return this;
  }

  /** The table, named {@code title}. */
  public Table toTable(String title) {
    return tags == null
        ? Table.create(title, sig, method, io, key, tensor, dtype, shape)
        : Table.create(title, tags, sig, method, io, key, tensor, dtype, shape);
  }

  /** {@code [-1, 3]}; {@code ?} for an unknown rank. */
  public static String shapeText(TensorShapeProto s) {
    if (s.getUnknownRank()) return "?";
    return s.getDimList().stream()
        .map(d -> Long.toString(d.getSize()))
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
