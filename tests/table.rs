//! Reading per-zone CSV tables.

use terralux::table::Table;

#[test]
fn quoted_fields_crlf_and_a_byte_order_mark() {
    let text =
        "\u{feff}code,name,x\r\n\"001\",\"Yuzhong, \"\"CQ\"\"\",1.5\r\n002,\"two\nlines\",\r\n";
    let table = Table::parse(text, "t.csv").unwrap();
    assert_eq!(table.header(), ["code", "name", "x"]);
    assert_eq!(table.column("code").unwrap(), ["001", "002"]);
    assert_eq!(
        table.column("name").unwrap(),
        ["Yuzhong, \"CQ\"", "two\nlines"]
    );
    assert_eq!(table.numbers("x").unwrap(), [Some(1.5), None]);
    assert_eq!(table.numeric_columns(), ["code", "x"]);
}

#[test]
fn no_final_newline_and_blank_lines_are_fine() {
    let table = Table::parse("a,b\n\n1,2\n3,4", "t.csv").unwrap();
    assert_eq!(table.rows().len(), 2);
    assert_eq!(table.numbers("b").unwrap(), [Some(2.0), Some(4.0)]);
    assert_eq!(
        table.filtered("a", "3").unwrap().rows(),
        [vec!["3".to_string(), "4".to_string()]]
    );
}

#[test]
fn bad_tables_name_the_line_or_row() {
    let err = |text: &str| Table::parse(text, "t.csv").unwrap_err().to_string();
    assert!(err("").contains("empty"));
    assert!(err("a,b\n1,2\n3\n").contains("t.csv, line 3: 1 fields where the header has 2"));
    assert!(err("a\n\"open\n").contains("not closed"));
    let table = Table::parse("a,b\n1,x\n", "t.csv").unwrap();
    let e = table.numbers("b").unwrap_err().to_string();
    assert!(
        e.contains("t.csv, row 1: 'x' in column 'b' is not a number"),
        "{e}"
    );
    let e = table.column("c").unwrap_err().to_string();
    assert!(e.contains("no column named 'c' (columns: a, b)"), "{e}");
    let e = Table::read(std::path::Path::new("no/such.csv"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no/such.csv"), "{e}");
}
