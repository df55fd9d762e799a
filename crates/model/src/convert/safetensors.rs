//! A streaming writer of f32 safetensors files: the header is written first, then every
//! tensor's data in header order, so a model far larger than memory can be produced in
//! pieces.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{json, Value};

/// Writes the tensors declared up front, in that order, as little-endian f32.
pub struct F32Writer<W: Write> {
    out: W,
    /// `(name, elements)` of every tensor, in data order.
    tensors: Vec<(String, usize)>,
    /// Index of the tensor being written.
    current: usize,
    /// Elements of the current tensor written so far.
    filled: usize,
    bytes: Vec<u8>,
}

impl<W: Write> F32Writer<W> {
    /// Writes the header for `tensors` (`(name, shape)`, data in this order) and the
    /// string `metadata`.
    pub fn new(
        mut out: W,
        tensors: &[(String, Vec<usize>)],
        metadata: &BTreeMap<String, String>,
    ) -> std::io::Result<Self> {
        let mut header: BTreeMap<String, Value> = BTreeMap::new();
        let mut offset = 0usize;
        for (name, shape) in tensors {
            let end = offset + shape.iter().product::<usize>() * 4;
            header.insert(
                name.clone(),
                json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, end]}),
            );
            offset = end;
        }
        if !metadata.is_empty() {
            header.insert("__metadata__".to_string(), json!(metadata));
        }
        let mut text = serde_json::to_string(&header)?;
        // The data section starts 8-byte aligned, as the safetensors library writes it.
        while (8 + text.len()) % 8 != 0 {
            text.push(' ');
        }
        out.write_all(&(text.len() as u64).to_le_bytes())?;
        out.write_all(text.as_bytes())?;
        Ok(Self {
            out,
            tensors: tensors
                .iter()
                .map(|(name, shape)| (name.clone(), shape.iter().product()))
                .collect(),
            current: 0,
            filled: 0,
            bytes: Vec::new(),
        })
    }

    /// The name of the tensor the next values belong to, if any is left.
    pub fn current(&self) -> Option<&str> {
        self.tensors.get(self.current).map(|(n, _)| n.as_str())
    }

    /// Appends values to the current tensor; moves on to the next one when it is full.
    /// Values must not run past the end of the current tensor.
    pub fn write(&mut self, values: &[f32]) -> std::io::Result<()> {
        let Some((name, len)) = self.tensors.get(self.current) else {
            return Err(invalid("more values than the declared tensors hold".into()));
        };
        if self.filled + values.len() > *len {
            return Err(invalid(format!(
                "{} values for tensor {name}, which has {len}",
                self.filled + values.len()
            )));
        }
        self.bytes.clear();
        self.bytes
            .extend(values.iter().flat_map(|v| v.to_le_bytes()));
        self.out.write_all(&self.bytes)?;
        self.filled += values.len();
        if self.filled == *len {
            self.current += 1;
            self.filled = 0;
        }
        Ok(())
    }

    /// Checks that every declared tensor was written in full and flushes.
    pub fn finish(mut self) -> std::io::Result<W> {
        if let Some(name) = self.current() {
            return Err(invalid(format!("tensor {name} was not written in full")));
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_file_loads_with_candle_and_checks_counts() {
        let tensors = vec![("b".to_string(), vec![2, 3]), ("a".to_string(), vec![1])];
        let meta = BTreeMap::from([("format".to_string(), "pt".to_string())]);
        let mut w = F32Writer::new(Vec::new(), &tensors, &meta).expect("header");
        assert_eq!(w.current(), Some("b"));
        w.write(&[1.0, 2.0]).expect("part");
        w.write(&[3.0, 4.0, 5.0, 6.0]).expect("rest");
        assert!(w.write(&[7.0, 8.0]).is_err(), "runs past tensor a");
        w.write(&[7.0]).expect("a");
        assert!(w.write(&[0.0]).is_err(), "nothing left");
        let bytes = w.finish().expect("finish");
        let loaded = candle_core::safetensors::load_buffer(&bytes, &candle_core::Device::Cpu)
            .expect("valid safetensors");
        let b = loaded["b"].to_vec2::<f32>().expect("b");
        assert_eq!(b, vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
        assert_eq!(loaded["a"].to_vec1::<f32>().expect("a"), vec![7.0]);

        let short = F32Writer::new(Vec::new(), &tensors, &meta).expect("header");
        assert!(short.finish().is_err(), "unwritten tensors are an error");
    }
}
