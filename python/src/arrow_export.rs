//! Results handed to Python as Arrow through the Arrow PyCapsule interface
//! (<https://arrow.apache.org/docs/format/CDataInterface/PyCapsuleInterface.html>):
//! the library's record batch is exported through the C data interface, with
//! no copy into Python objects, and any consumer that speaks the interface
//! (pyarrow, polars, DuckDB, nanoarrow) imports it.

use std::ffi::CString;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{Array, RecordBatch, RecordBatchIterator, StructArray};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// One Arrow record batch on its way to Python: `pyarrow.table(batch)`,
/// `pyarrow.record_batch(batch)` or `polars.from_arrow(batch)` import it
/// through `__arrow_c_stream__` / `__arrow_c_array__`.
#[pyclass(frozen, module = "terralux._terralux", name = "ArrowBatch")]
pub struct ArrowBatch {
    batch: RecordBatch,
}

impl ArrowBatch {
    pub fn new(batch: RecordBatch) -> Self {
        Self { batch }
    }
}

fn capsule<'py, T: Send + 'static>(
    py: Python<'py>,
    value: T,
    name: &str,
) -> PyResult<Bound<'py, PyCapsule>> {
    let name = CString::new(name).expect("capsule names have no NUL");
    PyCapsule::new(py, value, Some(name))
}

fn export_error(e: impl std::fmt::Display) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(format!("arrow export: {e}"))
}

#[pymethods]
impl ArrowBatch {
    /// Rows in the batch.
    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    /// The schema as an `arrow_schema` capsule. The consumer's
    /// requested schema is ignored, as the interface allows: the types are
    /// the library's (see `terralux::write::parquet`).
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema =
            FFI_ArrowSchema::try_from(self.batch.schema().as_ref()).map_err(export_error)?;
        capsule(py, schema, "arrow_schema")
    }

    /// The batch as a struct array: an (`arrow_schema`, `arrow_array`) pair
    /// of capsules.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let _ = requested_schema;
        let data = StructArray::from(self.batch.clone()).into_data();
        let array = FFI_ArrowArray::new(&data);
        let schema = FFI_ArrowSchema::try_from(data.data_type()).map_err(export_error)?;
        Ok((
            capsule(py, schema, "arrow_schema")?,
            capsule(py, array, "arrow_array")?,
        ))
    }

    /// The batch as a stream of one batch: an `arrow_array_stream` capsule.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new([Ok(self.batch.clone())], self.batch.schema());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        capsule(py, stream, "arrow_array_stream")
    }

    fn __repr__(&self) -> String {
        let schema = self.batch.schema();
        let fields: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| format!("{}: {}", f.name(), f.data_type()))
            .collect();
        format!(
            "ArrowBatch({} rows; {})",
            self.batch.num_rows(),
            fields.join(", ")
        )
    }
}
