-- Mattermost's users, teams and team members as its MySQL migrations
-- create them (server/channels/db/migrations/mysql: 000011 TeamMembers,
-- SchemeUser/SchemeAdmin/SchemeGuest added later, CreateAt in 000107;
-- Users and Teams keep only the columns these tests use). A membership row
-- with DeleteAt > 0 was removed; Mattermost keeps it.
CREATE TABLE Users (
  Id varchar(26) NOT NULL,
  CreateAt bigint(20) DEFAULT NULL,
  UpdateAt bigint(20) DEFAULT NULL,
  DeleteAt bigint(20) DEFAULT NULL,
  Username varchar(64) DEFAULT NULL,
  AuthService varchar(32) DEFAULT NULL,
  Email varchar(128) DEFAULT NULL,
  FirstName varchar(64) DEFAULT NULL,
  LastName varchar(64) DEFAULT NULL,
  Roles text,
  PRIMARY KEY (Id),
  UNIQUE KEY Username (Username),
  UNIQUE KEY Email (Email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE Teams (
  Id varchar(26) NOT NULL,
  CreateAt bigint(20) DEFAULT NULL,
  UpdateAt bigint(20) DEFAULT NULL,
  DeleteAt bigint(20) DEFAULT NULL,
  DisplayName varchar(64) DEFAULT NULL,
  Name varchar(64) DEFAULT NULL,
  Type enum('I','O') DEFAULT NULL,
  PRIMARY KEY (Id),
  UNIQUE KEY Name (Name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE TeamMembers (
  TeamId varchar(26) NOT NULL,
  UserId varchar(26) NOT NULL,
  Roles varchar(64) DEFAULT NULL,
  DeleteAt bigint(20) DEFAULT NULL,
  SchemeUser tinyint(4) DEFAULT NULL,
  SchemeAdmin tinyint(4) DEFAULT NULL,
  SchemeGuest tinyint(4) DEFAULT NULL,
  CreateAt bigint(20) DEFAULT 0,
  PRIMARY KEY (TeamId, UserId),
  KEY idx_teammembers_user_id (UserId),
  KEY idx_teammembers_delete_at (DeleteAt),
  KEY idx_teammembers_createat (CreateAt)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO Users (Id, CreateAt, UpdateAt, DeleteAt, Username, AuthService, Email, FirstName, LastName, Roles) VALUES
  ('admin0000000000000000000aa', 1, 1, 0, 'sysadmin', '', 'admin@example.test', 'Sys', 'Admin', 'system_user system_admin'),
  ('alice000000000000000000000', 1, 1, 0, 'alice', 'saml', 'alice@example.test', 'Alice', 'Ames', 'system_user'),
  ('bob00000000000000000000000', 1, 1, 0, 'bob', 'saml', 'bob@example.test', 'Bob', 'Berg', 'system_user'),
  ('carol000000000000000000000', 1, 1, 0, 'carol', 'saml', 'carol@example.test', 'Carol', 'Cruz', 'system_user');

INSERT INTO Teams (Id, CreateAt, UpdateAt, DeleteAt, DisplayName, Name, Type) VALUES
  ('teameng0000000000000000000', 1, 1, 0, 'Engineering', 'engineering', 'I'),
  ('teamsales00000000000000000', 1, 1, 0, 'Sales', 'sales', 'I');

-- Engineering: the admin and Alice are members; Bob left in 2020.
-- Sales: Alice is a member; Bob left too, a millisecond later.
INSERT INTO TeamMembers (TeamId, UserId, Roles, DeleteAt, SchemeUser, SchemeAdmin, SchemeGuest, CreateAt) VALUES
  ('teameng0000000000000000000', 'admin0000000000000000000aa', '', 0, 1, 1, 0, 1500000000000),
  ('teameng0000000000000000000', 'alice000000000000000000000', '', 0, 1, 0, 0, 1500000000000),
  ('teameng0000000000000000000', 'bob00000000000000000000000', '', 1600000000000, 1, 0, 0, 1500000000000),
  ('teamsales00000000000000000', 'alice000000000000000000000', '', 0, 1, 0, 0, 1500000000000),
  ('teamsales00000000000000000', 'bob00000000000000000000000', '', 1600000000001, 1, 0, 0, 1500000000000);

-- Custom user groups (000076 UserGroups, 000077 GroupMembers): a removed
-- member keeps her row with DeleteAt > 0, which is NOT NULL here.
CREATE TABLE UserGroups (
  Id varchar(26) NOT NULL,
  Name varchar(64) DEFAULT NULL,
  DisplayName varchar(128) DEFAULT NULL,
  Description text,
  Source varchar(64) DEFAULT NULL,
  RemoteId varchar(48) DEFAULT NULL,
  CreateAt bigint(20) DEFAULT NULL,
  UpdateAt bigint(20) DEFAULT NULL,
  DeleteAt bigint(20) DEFAULT NULL,
  AllowReference tinyint(1) DEFAULT NULL,
  PRIMARY KEY (Id),
  UNIQUE KEY Name (Name),
  UNIQUE KEY Source (Source, RemoteId)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE GroupMembers (
  GroupId varchar(26) NOT NULL,
  UserId varchar(26) NOT NULL,
  CreateAt bigint(20) DEFAULT NULL,
  DeleteAt bigint(20) NOT NULL,
  PRIMARY KEY (GroupId, UserId),
  KEY idx_groupmembers_create_at (CreateAt)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO UserGroups (Id, Name, DisplayName, Source, RemoteId, CreateAt, UpdateAt, DeleteAt) VALUES
  ('grpdevs0000000000000000000', 'devs', 'Developers', 'custom', NULL, 1, 1, 0),
  ('grpops00000000000000000000', 'ops', 'Operations', 'custom', NULL, 1, 1, 0);

-- Developers: Alice; Carol left. Operations: Carol left too.
INSERT INTO GroupMembers (GroupId, UserId, CreateAt, DeleteAt) VALUES
  ('grpdevs0000000000000000000', 'alice000000000000000000000', 1500000000000, 0),
  ('grpdevs0000000000000000000', 'carol000000000000000000000', 1500000000000, 1600000000000),
  ('grpops00000000000000000000', 'carol000000000000000000000', 1500000000000, 1600000000002);
