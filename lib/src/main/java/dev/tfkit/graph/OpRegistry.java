package dev.tfkit.graph;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteBuffer;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_GetAllOpList;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.tensorflow.TensorFlow;
import org.tensorflow.internal.c_api.TF_Buffer;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.OpList;

/**
 * The ops the linked TensorFlow runtime has registered, read once from the runtime itself, so a
 * graph naming an unknown op is refused in Java before it reaches native code.
 */
public final class OpRegistry {
  private static volatile Map<String, OpDef> ops;

  private OpRegistry() {}

  /** Every registered op name. */
  public static Set<String> names() {
    return Collections.unmodifiableSet(all().keySet());
  }

  /** Whether the runtime knows {@code op}. */
  public static boolean has(String op) {
    return all().containsKey(op);
  }

  /** The op's definition, or null when the runtime does not know it. */
  public static OpDef get(String op) {
    return all().get(op);
  }

  private static Map<String, OpDef> all() {
    Map<String, OpDef> m = ops;
    if (m == null) {
      synchronized (OpRegistry.class) {
        m = ops;
        if (m == null) {
          TensorFlow.version(); // loads the native library
          TF_Buffer buf = TF_GetAllOpList();
          try {
            byte[] bytes = new byte[Math.toIntExact(buf.length())];
            new BytePointer(buf.data()).capacity(buf.length()).get(bytes);
            OpList list = OpList.parseFrom(bytes);
            m = new HashMap<>();
            for (OpDef d : list.getOpList()) m.put(d.getName(), d);
            ops = m;
          } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot read the TensorFlow runtime's op list", e);
          } finally {
            TF_DeleteBuffer(buf);
          }
        }
      }
    }
    return m;
  }
}
