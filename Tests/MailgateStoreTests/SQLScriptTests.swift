import MailgateStore
import Testing

@Suite("SQL script splitting")
struct SQLScriptTests {
    @Test("statements split at semicolons outside quotes, dollar quotes and comments")
    func splitting() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'semi;colon', "odd;name" int);
            /* block; comment */ INSERT INTO a VALUES ('it''s; fine');
            CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;
            DO $$ BEGIN PERFORM 1; END $$;
            -- trailing comment only
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("\"odd;name\" int)"))
        #expect(statements[1].hasSuffix("('it''s; fine')"))
        #expect(statements[2].contains("RETURN 1; END; $body$ LANGUAGE plpgsql"))
        #expect(statements[3] == "DO $$ BEGIN PERFORM 1; END $$")
    }

    @Test("a positional parameter like $1 is not a dollar quote")
    func positionalParameter() {
        #expect(SQLScript.statements(in: "SELECT $1; SELECT 2;").count == 2)
    }
}
