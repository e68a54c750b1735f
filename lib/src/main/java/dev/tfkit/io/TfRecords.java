package dev.tfkit.io;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * TFRecord files, TensorFlow's record format (and that of TF Serving's warmup file): each record is
 * its length (uint64 LE), the masked CRC32C of the length, the data, and the masked CRC32C of the
 * data. One implementation for every side: the SavedModel writer's warmup file, the server's
 * warmup replay, its request logs and {@code tfkit logs}. Readers check both checksums, so a damaged
 * file is reported with the record's index, not half-read.
 */
public final class TfRecords {
  private static final int MASK_DELTA = 0xa282ead8;

  private TfRecords() {}

  /** TensorFlow's masked CRC32C of {@code data[off, off+len)}. */
  static int maskedCrc(byte[] data, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(data, off, len);
    int crc = (int) c.getValue();
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  /** Writes one record. */
  public static void write(OutputStream out, byte[] data) throws IOException {
    byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
    ByteBuffer crcs = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    out.write(len);
    out.write(crcs.putInt(0, maskedCrc(len, 0, 8)).array());
    out.write(data);
    out.write(crcs.putInt(0, maskedCrc(data, 0, data.length)).array());
  }

  /** The records as one byte array, in order. */
  public static byte[] toBytes(List<byte[]> records) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try {
      for (byte[] r : records) write(b, r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toByteArray();
  }

  /** Reads every record of a TFRecord file, checking both CRCs; a bad record is named by its index. */
  public static List<byte[]> read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TFRecord file " + file, e);
    }
  }

  /**
   * Reads the whole records of a file that may still be being written (or whose writer died): as
   * {@link #read(Path)}, except that a truncated last record ends the list instead of failing.
   */
  public static List<byte[]> readWholeRecords(Path file) {
    List<byte[]> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      read(in, file.toString(), out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TFRecord file " + file, e);
    } catch (IllegalArgumentException e) {
      if (!(e.getCause() instanceof EOFException) && !e.getMessage().endsWith("is truncated (header)")) {
        throw e;
      }
    }
    return out;
  }

  /**
   * Reads every record of {@code file}, refusing more than {@code maxRecords} records or a record
   * longer than {@code maxRecordBytes} before reading it (the server's bound on a warmup file).
   */
  public static List<byte[]> read(Path file, int maxRecords, long maxRecordBytes) {
    List<byte[]> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      read(in, file.toString(), out, maxRecords, maxRecordBytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TFRecord file " + file, e);
    }
    return out;
  }

  static List<byte[]> read(InputStream in, String name) throws IOException {
    List<byte[]> out = new ArrayList<>();
    read(in, name, out);
    return out;
  }

  private static void read(InputStream in, String name, List<byte[]> out) throws IOException {
    read(in, name, out, Integer.MAX_VALUE, Integer.MAX_VALUE - 8);
  }

  private static void read(InputStream in, String name, List<byte[]> out, int maxRecords, long maxRecordBytes)
      throws IOException {
    byte[] header = new byte[12];
    while (true) {
      int n = in.readNBytes(header, 0, 12);
      if (n == 0) return;
      if (n < 12) throw new IllegalArgumentException(name + ": record " + out.size() + " is truncated (header)");
      ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
      long len = h.getLong(0);
      if (h.getInt(8) != maskedCrc(header, 0, 8)) {
        throw new IllegalArgumentException(name + ": record " + out.size() + " has a bad length CRC (checksum)");
      }
      if (len < 0 || len > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(name + ": record " + out.size() + " has an impossible length " + len);
      }
      if (len > maxRecordBytes) {
        throw new IllegalArgumentException(name + ": record " + out.size() + " is " + len + " bytes, too large");
      }
      if (out.size() >= maxRecords) {
        throw new IllegalArgumentException(name + ": more than " + maxRecords + " records");
      }
      byte[] data = in.readNBytes((int) len);
      byte[] crc = in.readNBytes(4);
      if (data.length < len || crc.length < 4) {
        throw new IllegalArgumentException(name + ": record " + out.size() + " is truncated", new EOFException());
      }
      if (ByteBuffer.wrap(crc).order(ByteOrder.LITTLE_ENDIAN).getInt() != maskedCrc(data, 0, data.length)) {
        throw new IllegalArgumentException(name + ": record " + out.size() + " has a bad data CRC (checksum)");
      }
      out.add(data);
    }
  }
}
