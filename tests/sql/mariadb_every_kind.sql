-- A schema with every object kind dbclone copies, for the MariaDB tests.
CREATE TABLE parent (
  id INT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(40) NOT NULL UNIQUE,
  price DECIMAL(8,2) NOT NULL DEFAULT 0,
  price_with_tax DECIMAL(8,2) AS (price * 1.2) VIRTUAL,
  KEY by_price (price)
) ENGINE=InnoDB AUTO_INCREMENT=1000;
CREATE TABLE child (
  id INT AUTO_INCREMENT PRIMARY KEY,
  parent_id INT NOT NULL,
  note TEXT,
  CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE
) ENGINE=InnoDB;
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(100)) ENGINE=InnoDB;
CREATE TABLE log_by_year (y INT NOT NULL, msg VARCHAR(50)) ENGINE=InnoDB
  PARTITION BY RANGE (y) (PARTITION p2020 VALUES LESS THAN (2021), PARTITION pmax VALUES LESS THAN MAXVALUE);
CREATE TABLE myisam_notes (id INT PRIMARY KEY, body VARCHAR(20)) ENGINE=MyISAM;
INSERT INTO parent (name, price) VALUES ('widget', 10), ('gadget', 20), ('doohickey', 30);
INSERT INTO child (parent_id, note) VALUES (1000, 'a'), (1001, 'b'), (1002, 'c');
INSERT INTO log_by_year VALUES (2019, 'old'), (2024, 'new');
INSERT INTO myisam_notes VALUES (1, 'kept');
CREATE SEQUENCE ticket_seq START WITH 100 INCREMENT BY 5;
SELECT NEXTVAL(ticket_seq), NEXTVAL(ticket_seq);
CREATE VIEW cheap AS SELECT id, name FROM parent WHERE price < 25;
CREATE VIEW cheap_names AS SELECT name FROM cheap;
CREATE TRIGGER parent_audit AFTER INSERT ON parent FOR EACH ROW
  INSERT INTO audit (what) VALUES (CONCAT('added ', NEW.name));
DELIMITER //
CREATE PROCEDURE add_parent(IN n VARCHAR(40), IN p DECIMAL(8,2))
BEGIN
  INSERT INTO parent (name, price) VALUES (n, p);
END//
CREATE FUNCTION doubled(x INT) RETURNS INT DETERMINISTIC RETURN x * 2//
DELIMITER ;
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit;
